package io.pgregent.dcs.zookeeper.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.dcs.autoconfigure.StoreAutoConfigurationTests;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import io.pgregent.dcs.zookeeper.ZooKeeperSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

class ZooKeeperDcsAutoConfigurationTests extends StoreAutoConfigurationTests {

  ZooKeeperDcsAutoConfigurationTests() {
    super(
        ZooKeeperDcsAutoConfiguration.class,
        ZooKeeperDcs.class,
        CuratorFramework.class,
        "zookeeper.hosts=127.0.0.1:2181");
  }

  @Test
  void hostsBindAsOneCommaSeparatedString() {
    runner
        .withPropertyValues("zookeeper.hosts=127.0.0.1:2181,127.0.0.2:2182")
        .run(
            ctx ->
                assertThat(ctx.getBean(ZooKeeperProperties.class).toSettings().connectString())
                    .isEqualTo("127.0.0.1:2181,127.0.0.2:2182"));
  }

  @Test
  void hostsBindAsAListAndTakeTheDefaultPort() {
    runner
        .withPropertyValues("zookeeper.hosts[0]=zk1", "zookeeper.hosts[1]=zk2:2191")
        .run(
            ctx ->
                assertThat(ctx.getBean(ZooKeeperProperties.class).toSettings().connectString())
                    .isEqualTo("zk1:2181,zk2:2191"));
  }

  @Test
  void patronisSnakeCaseKeysBind() {
    runner
        .withPropertyValues(
            "zookeeper.hosts=127.0.0.1:2181",
            "zookeeper.connect_timeout=3",
            "zookeeper.use_ssl=true",
            "zookeeper.verify=false",
            "zookeeper.key_password=s3cret",
            "zookeeper.auth_data.digest=user:pw")
        .withInitializer(
            patroniYaml(
                Map.of(
                    "zookeeper.set_acls[CN=principal1]", "CREATE,READ",
                    "zookeeper.set_acls[CN=principal2][0]", "ALL")))
        .run(
            ctx -> {
              ZooKeeperSettings s = ctx.getBean(ZooKeeperProperties.class).toSettings();
              assertThat(s.connectTimeout().toSeconds()).isEqualTo(3);
              assertThat(s.useSsl()).isTrue();
              assertThat(s.verify()).isFalse();
              assertThat(s.keyPassword()).isEqualTo("s3cret");
              assertThat(s.setAcls())
                  .containsEntry("CN=principal1", List.of("CREATE", "READ"))
                  .containsEntry("CN=principal2", List.of("ALL"));
              assertThat(s.authData()).containsEntry("digest", "user:pw");
            });
  }

  @Test
  void theClusterWideRetryTimeoutGovernsNotOneInTheSection() {
    // as in Patroni: the store works to the dynamic configuration's retry_timeout, which the loop
    // applies again at every change, so a value in the section would hold only until then
    runner
        .withPropertyValues(
            "zookeeper.hosts=127.0.0.1:2181",
            "zookeeper.retry_timeout=3",
            "bootstrap.dcs.retry_timeout=5")
        .run(
            ctx ->
                assertThat(ctx.getBean(Dcs.class).timings().retryTimeout().toSeconds())
                    .isEqualTo(5));
  }

  @Test
  void retryTimeoutsThatBreakTheRuleAreFittedToTtlAsTheLoopDoes() {
    // Patroni's acceptance suite: loop_wait 2 + 2 × retry_timeout 10 > ttl 20
    runner
        .withPropertyValues(
            "zookeeper.hosts=127.0.0.1:2181",
            "bootstrap.dcs.ttl=20",
            "bootstrap.dcs.loop_wait=2",
            "bootstrap.dcs.retry_timeout=10")
        .run(
            ctx -> {
              assertThat(ctx.getBean(Dcs.class).timings().ttl().toSeconds()).isEqualTo(20);
              assertThat(ctx.getBean(Dcs.class).timings().retryTimeout().toSeconds()).isEqualTo(9);
            });
  }

  @Test
  void twoStoreSectionsFailStartupNamingBoth() {
    assertStartupFailsNaming(
        runner.withPropertyValues("etcd3.host=127.0.0.1:2379", "zookeeper.hosts=127.0.0.1:2181"),
        "etcd3 and zookeeper");
  }

  @Test
  void anInvalidHostFailsStartupNamingTheKey() {
    assertStartupFailsNaming(
        runner.withPropertyValues("zookeeper.hosts=not a host:x"), "zookeeper.hosts");
  }

  @Test
  void anUnknownAclPermissionFailsStartupNamingTheKey() {
    assertStartupFailsNaming(
        runner
            .withPropertyValues("zookeeper.hosts=127.0.0.1:2181")
            .withInitializer(patroniYaml(Map.of("zookeeper.set_acls[CN=p]", "FLY"))),
        "zookeeper.set_acls",
        "FLY");
  }

  @Test
  void aCertWithoutKeyFailsStartupNamingBothKeys() {
    assertStartupFailsNaming(
        runner.withPropertyValues(
            "zookeeper.hosts=127.0.0.1:2181",
            "zookeeper.use_ssl=true",
            "zookeeper.cert=/tmp/c.pem"),
        "zookeeper.cert",
        "zookeeper.key");
  }

  @Test
  void aBadConnectTimeoutFailsStartupNamingTheKey() {
    runner
        .withPropertyValues("zookeeper.hosts=127.0.0.1:2181", "zookeeper.connect_timeout=soon")
        .run(
            ctx ->
                assertThat(ctx).getFailure().hasStackTraceContaining("zookeeper.connect-timeout"));
  }

  @Test
  void theConfiguredStoreWorksAgainstARealZooKeeper() throws Exception {
    try (TestingServer zk = new TestingServer(true)) {
      runner
          .withPropertyValues("zookeeper.hosts=127.0.0.1:" + zk.getPort(), "bootstrap.dcs.ttl=10")
          .run(
              ctx -> {
                Dcs dcs = ctx.getBean(Dcs.class);
                // The first session may take longer than retry_timeout on a loaded machine; the
                // loop would try again at its next cycle, so the test does too.
                await()
                    .atMost(Duration.ofSeconds(60))
                    .ignoreException(DcsUnreachableException.class)
                    .until(
                        () -> {
                          dcs.renewSession();
                          return true;
                        });
                assertThat(dcs.tryAcquire()).isTrue();
                assertThat(dcs.read().isLockedBy("pg0")).isTrue();
              });
    }
  }

  /** Property names as a YAML loader produces them, with keys that hold '=' bracketed. */
  private static ApplicationContextInitializer<ConfigurableApplicationContext> patroniYaml(
      Map<String, Object> properties) {
    return ctx ->
        ctx.getEnvironment()
            .getPropertySources()
            .addFirst(new MapPropertySource("patroni-yaml", properties));
  }

  @Test
  void secretsStayOutOfToString() {
    ZooKeeperProperties p = new ZooKeeperProperties();
    p.setHosts(List.of("127.0.0.1:2181"));
    p.setUseSsl(true);
    p.setKeyPassword("s3cret");
    p.setAuthData(Map.of("digest", "user:s3cret"));
    p.setSetAcls(Map.of("digest:user:s3cret", List.of("ALL")));
    assertThat(p.toString()).doesNotContain("s3cret");
    assertThat(p.toSettings().toString()).doesNotContain("s3cret").contains("digest:user:****");
  }
}
