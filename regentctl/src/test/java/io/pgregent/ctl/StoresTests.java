package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.core.dcs.DcsTimings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** regentctl opens every store through the starters' factories, as the agent does. */
class StoresTests {

  private static final DcsTarget TARGET =
      new DcsTarget(
          ClusterPath.of(null, "c"),
          Session.CLIENT_NAME,
          new DcsTimings(Duration.ofSeconds(30), Duration.ofSeconds(10)));

  @Test
  void everyStarterOnTheClassPathIsAStore() {
    assertThat(Stores.knownSections()).isEqualTo("etcd3, zookeeper, consul");
  }

  @Test
  void aDcsUrlStandsForTheStoresSectionWithItsDefaultPort() {
    assertThat(Stores.sectionFromUrl("etcd3", URI.create("etcd3://10.0.0.1")))
        .isEqualTo(Map.of("hosts", "10.0.0.1:2379"));
    assertThat(Stores.sectionFromUrl("consul", URI.create("consul://10.0.0.1:8501")))
        .isEqualTo(Map.of("host", "10.0.0.1:8501"));
    assertThat(Stores.sectionFromUrl("zookeeper", URI.create("zookeeper://10.0.0.1:2181")))
        .isEqualTo(Map.of("hosts", List.of("10.0.0.1:2181")));
    assertThatThrownBy(() -> Stores.sectionFromUrl("etcd3", URI.create("etcd3:///x")))
        .isInstanceOf(CtlException.class)
        .hasMessageContaining("no host");
  }

  @Test
  void sectionsBindWithPatronisKeyNames() {
    try (Dcs zk =
        Stores.open(
            "zookeeper",
            Map.of("hosts", "127.0.0.1:1", "retry_timeout", 4, "connect_timeout", "2"),
            TARGET)) {
      assertThat(zk).isInstanceOf(io.pgregent.dcs.zookeeper.ZooKeeperDcs.class);
      // zookeeper.retry_timeout is not used, as in Patroni and the agent: the cluster-wide one
      // governs
      assertThat(zk.timings().retryTimeout()).isEqualTo(Duration.ofSeconds(10));
    }
  }

  @Test
  void aBadValueIsOneErrorNamingTheKey() {
    assertThatThrownBy(
            () -> Stores.open("zookeeper", Map.of("connect_timeout", "soon"), TARGET).close())
        .isInstanceOf(CtlException.class)
        .hasMessageStartingWith("zookeeper.connect_timeout:");
    assertThatThrownBy(() -> Stores.open("etcd3", Map.of("protocol", "ftp"), TARGET).close())
        .isInstanceOf(CtlException.class)
        .hasMessageContaining("etcd3.protocol must be http or https");
    assertThatThrownBy(() -> Stores.open("consul", Map.of("port", "x"), TARGET).close())
        .isInstanceOf(CtlException.class)
        .hasMessageStartingWith("consul.port:");
    assertThatThrownBy(() -> Stores.type("etcd"))
        .isInstanceOf(CtlException.class)
        .hasMessageContaining("v2 API");
  }
}
