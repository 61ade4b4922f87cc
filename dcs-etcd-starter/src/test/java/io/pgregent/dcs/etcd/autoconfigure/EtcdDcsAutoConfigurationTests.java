package io.pgregent.dcs.etcd.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.etcd.EtcdDcs;
import io.pgregent.testsupport.EtcdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

@Timeout(60)
class EtcdDcsAutoConfigurationTests {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(EtcdDcsAutoConfiguration.class))
          .withPropertyValues("scope=demo", "name=pg0");

  @Test
  void anEtcd3SectionPicksEtcd() {
    runner
        .withPropertyValues("etcd3.hosts=127.0.0.1:2379,127.0.0.2:2379")
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Dcs.class).hasSingleBean(EtcdDcs.class);
              Dcs dcs = ctx.getBean(Dcs.class);
              assertThat(dcs.memberName()).isEqualTo("pg0");
              assertThat(dcs.path().prefix()).isEqualTo("/service/demo/");
              assertThat(ctx.getBean(EtcdProperties.class).toSettings().endpointList())
                  .isEqualTo("http://127.0.0.1:2379,http://127.0.0.2:2379");
            });
  }

  @Test
  void withoutAnEtcd3SectionThereIsNoEtcdStore() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void withoutJetcdOnTheClasspathThereIsNoEtcdStore() {
    runner
        .withPropertyValues("etcd3.host=127.0.0.1:2379")
        .withClassLoader(new FilteredClassLoader(Client.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void patronisSnakeCaseKeysAndTimingsBind() {
    runner
        .withPropertyValues(
            "etcd3.host=127.0.0.1:2379",
            "etcd3.protocol=https",
            "namespace=/regent/",
            "bootstrap.dcs.ttl=20",
            "bootstrap.dcs.retry_timeout=5")
        .run(
            ctx -> {
              Dcs dcs = ctx.getBean(Dcs.class);
              assertThat(dcs.path().prefix()).isEqualTo("/regent/demo/");
              assertThat(dcs.timings().ttl().toSeconds()).isEqualTo(20);
              assertThat(dcs.timings().retryTimeout().toSeconds()).isEqualTo(5);
              assertThat(ctx.getBean(EtcdProperties.class).toSettings().endpointList())
                  .isEqualTo("https://127.0.0.1:2379");
            });
  }

  @Test
  void twoStoreSectionsFailStartupNamingBoth() {
    runner
        .withPropertyValues("etcd3.host=127.0.0.1:2379", "zookeeper.hosts=127.0.0.1:2181")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("etcd3 and zookeeper"));
  }

  @Test
  void aMissingScopeFailsStartupNamingTheKey() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(EtcdDcsAutoConfiguration.class))
        .withPropertyValues("name=pg0", "etcd3.host=127.0.0.1:2379")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("scope"));
  }

  @Test
  void anInvalidEndpointFailsStartupNamingTheKey() {
    runner
        .withPropertyValues("etcd3.hosts=not a host")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("etcd3.hosts"));
  }

  @Test
  void aUsernameWithoutPasswordFailsStartupNamingBothKeys() {
    runner
        .withPropertyValues("etcd3.host=127.0.0.1:2379", "etcd3.username=root")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("etcd3.username")
                    .hasMessageContaining("etcd3.password"));
  }

  @Test
  void theConfiguredStoreWorksAgainstARealEtcd() {
    try (EtcdServer etcd = EtcdServer.start()) {
      runner
          .withPropertyValues("etcd3.host=127.0.0.1:" + etcd.clientPort())
          .run(
              ctx -> {
                Dcs dcs = ctx.getBean(Dcs.class);
                dcs.renewSession();
                assertThat(dcs.tryAcquire()).isTrue();
                assertThat(dcs.read().isLockedBy("pg0")).isTrue();
              });
    }
  }

  @Test
  void passwordsStayOutOfToString() {
    EtcdProperties p = new EtcdProperties();
    p.setHost("127.0.0.1:2379");
    p.setUsername("root");
    p.setPassword("s3cret");
    assertThat(p.toString()).doesNotContain("s3cret");
    assertThat(p.toSettings().toString()).doesNotContain("s3cret");
  }
}
