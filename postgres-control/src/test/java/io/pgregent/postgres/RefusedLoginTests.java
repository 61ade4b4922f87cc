package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A running server that refuses the superuser's login (pg_hba.conf, a changed password) is reported
 * as unqueryable at once: the HA loop reads the status every cycle and must go on cycling, not wait
 * out the connection pool's whole timeout on each read.
 */
@Timeout(180)
class RefusedLoginTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-refused");
    // A pool waiting out connect + query timeout would take 32 s per read.
    node =
        cluster.controller(
            cluster
                .node("refused", "solo")
                .connectTimeout(Duration.ofSeconds(30))
                .queryTimeout(Duration.ofSeconds(2))
                .build());
    TestNodes.bootstrapAndAwaitRunning(node, LONG);
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void theStatusReadsBoundHoldsAcrossAReloadThatReplacesTheClient() {
    node.client().probeTimeout(Duration.ofSeconds(4));
    assertThat(
            node.reloadSettings(
                node.settings().toBuilder().queryTimeout(Duration.ofMillis(2500)).build()))
        .isTrue();
    assertThat(node.client().probeTimeout()).isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void aRefusedLoginIsReportedAtOnceAndTheStatusComesBackWhenLoginsDo() throws Exception {
    await().atMost(LONG).until(() -> node.state().isHealthy());
    Path hba = node.dataDir().resolve("pg_hba.conf");
    String original = Files.readString(hba);
    try {
      Files.writeString(hba, "host all postgres 127.0.0.1/32 reject\n" + original);
      TestNodes.signal("HUP", node.state().postmasterPid());
      // The pooled connection outlives the rule: start from none, as after a restart.
      node.client().reset();
      await()
          .atMost(LONG)
          .until(() -> node.state().queryError().orElse("").contains("pg_hba.conf rejects"));
      for (int i = 0; i < 3; i++) {
        LocalPostgresState state =
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> node.state());
        assertThat(state.runState()).isEqualTo(RunState.RUNNING);
        assertThat(state.server()).isEmpty();
        assertThat(state.queryError()).hasValueSatisfying(e -> assertThat(e).contains("rejects"));
      }
    } finally {
      Files.writeString(hba, original);
      node.reload();
    }
    await().atMost(LONG).until(() -> node.state().isHealthy());
  }
}
