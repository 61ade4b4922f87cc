package io.pgregent.dcs.etcd.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.autoconfigure.StoreAutoConfigurationTests;
import io.pgregent.dcs.etcd.EtcdDcs;
import io.pgregent.testsupport.EtcdServer;
import org.junit.jupiter.api.Test;

class EtcdDcsAutoConfigurationTests extends StoreAutoConfigurationTests {

  EtcdDcsAutoConfigurationTests() {
    super(EtcdDcsAutoConfiguration.class, EtcdDcs.class, Client.class, "etcd3.host=127.0.0.1:2379");
  }

  @Test
  void severalHostsBindAsEndpoints() {
    runner
        .withPropertyValues("etcd3.hosts=127.0.0.1:2379,127.0.0.2:2379")
        .run(
            ctx ->
                assertThat(ctx.getBean(EtcdProperties.class).toSettings().endpointList())
                    .isEqualTo("http://127.0.0.1:2379,http://127.0.0.2:2379"));
  }

  @Test
  void patronisSnakeCaseKeysBind() {
    runner
        .withPropertyValues("etcd3.host=127.0.0.1:2379", "etcd3.protocol=https")
        .run(
            ctx ->
                assertThat(ctx.getBean(EtcdProperties.class).toSettings().endpointList())
                    .isEqualTo("https://127.0.0.1:2379"));
  }

  @Test
  void twoStoreSectionsFailStartupNamingBoth() {
    assertStartupFailsNaming(
        runner.withPropertyValues("etcd3.host=127.0.0.1:2379", "zookeeper.hosts=127.0.0.1:2181"),
        "etcd3 and zookeeper");
  }

  @Test
  void anInvalidEndpointFailsStartupNamingTheKey() {
    assertStartupFailsNaming(runner.withPropertyValues("etcd3.hosts=not a host"), "etcd3.hosts");
  }

  @Test
  void aUsernameWithoutPasswordFailsStartupNamingBothKeys() {
    assertStartupFailsNaming(
        runner.withPropertyValues("etcd3.host=127.0.0.1:2379", "etcd3.username=root"),
        "etcd3.username",
        "etcd3.password");
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
