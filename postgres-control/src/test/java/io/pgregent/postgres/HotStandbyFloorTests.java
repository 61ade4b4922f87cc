package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A replica whose configuration has lower hot-standby settings than its primary recorded in the WAL
 * (a cluster-wide change not yet everywhere) still starts and serves reads: it starts with the
 * values of {@code pg_controldata} and reports the configured ones as pending restart.
 */
@Timeout(240)
class HotStandbyFloorTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static PostgresController primary;
  static PostgresController replica;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-hsfloor");
    primary =
        cluster.controller(
            cluster.node("hsfloor", "primary").build(),
            DynamicPostgresConfig.withParameters(
                Map.of(
                    "max_connections",
                    40,
                    "max_worker_processes",
                    10,
                    "max_wal_senders",
                    5,
                    "wal_keep_size",
                    "64MB")));
    replica = cluster.controller(cluster.node("hsfloor", "replica").pgCtlTimeout(LONG).build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void aReplicaStartsWithThePrimarysHigherSettingsAndReportsAPendingRestart() {
    primary.bootstrap();
    replica.createReplica(TestNodes.leaderOf(primary), LONG);
    assertThat(replica.controlData().fields()).containsEntry("max_connections setting", "40");

    replica.start();

    TestNodes.awaitRunningStandby(replica, LONG);
    assertThat(replica.client().queryStrings("SHOW max_connections")).containsExactly("40");
    assertThat(replica.client().queryStrings("SHOW max_worker_processes")).containsExactly("10");

    // The next write puts the cluster-wide value back: it takes effect at the next restart.
    replica.configure(TestNodes.DYNAMIC);
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(replica.state().pendingRestartParameters())
                    .contains("max_connections", "max_worker_processes"));
  }
}
