package io.pgregent.dcs.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lease the leader may count on is the session timeout the servers granted: a server whose
 * maxSessionTimeout is below the ttl drops a frozen agent's znodes sooner than the ttl says.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZooKeeperLeaseDurationTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(3));

  private static TestingServer server(int maxSessionTimeoutMs) throws Exception {
    return new TestingServer(
        new InstanceSpec(
            null,
            -1,
            -1,
            -1,
            true,
            -1,
            ZooKeeperTestServers.TICK_MS,
            -1,
            Map.of(
                "minSessionTimeout",
                String.valueOf(2 * ZooKeeperTestServers.TICK_MS),
                "maxSessionTimeout",
                String.valueOf(maxSessionTimeoutMs))),
        true);
  }

  private static ZooKeeperDcs member(TestingServer zk) {
    return new ZooKeeperDcs(
        ZooKeeperSettings.of(zk.getConnectString()),
        ClusterPath.of("/service", "lease" + System.nanoTime()),
        "a",
        TIMINGS);
  }

  @Test
  void aSessionTimeoutCutByTheServerIsTheLease() throws Exception {
    try (TestingServer zk = server(4000);
        ZooKeeperDcs a = member(zk)) {
      assertThat(a.renewSession()).isTrue();
      assertThat(a.tryAcquire()).isTrue();
      assertThat(a.zooKeeperForTests().getSessionTimeout()).isEqualTo(4000);
      assertThat(a.leaseDuration()).isEqualTo(Duration.ofMillis(4000));
      assertThat(a.timings().ttl()).isEqualTo(Duration.ofSeconds(10));
    }
  }

  @Test
  void aSessionTimeoutGrantedInFullLeavesTheTtl() throws Exception {
    try (TestingServer zk = server(60_000);
        ZooKeeperDcs a = member(zk)) {
      assertThat(a.leaseDuration()).isEqualTo(TIMINGS.ttl());
      assertThat(a.renewSession()).isTrue();
      assertThat(a.leaseDuration()).isEqualTo(TIMINGS.ttl());
    }
  }
}
