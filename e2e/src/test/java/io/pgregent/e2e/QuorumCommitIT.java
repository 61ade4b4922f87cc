package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * {@code synchronous_mode: quorum} with a primary and three replicas, {@code ANY 1}: losing the
 * primary and one replica together loses no acknowledged commit. The two survivors cannot prove
 * they hold every commit (the lost replica may be the only one that confirmed the last ones), so
 * neither is promoted until a third voter answers again; then the most advanced one is.
 */
@Timeout(600)
class QuorumCommitIT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> QuorumCommitIT.cluster.describe());

  private static SyncCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster =
        new SyncCluster(
            "e2equorum",
            Map.of("pg0", Map.of(), "pg1", Map.of(), "pg2", Map.of(), "pg3", Map.of()),
            8);
    cluster.start();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static boolean logSays(String member, String text) {
    try {
      return Files.readString(cluster.base.resolve(member + "-agent.log")).contains(text);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void losingThePrimaryAndOneReplicaLosesNoAcknowledgedCommit() throws Exception {
    cluster.awaitLeaderAndStreaming(Duration.ofSeconds(240));
    cluster.patchConfig("{\"synchronous_mode\": \"quorum\", \"synchronous_node_count\": 1}");
    String old = cluster.leader().orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                cluster.syncStandbys().size() == 3
                    && cluster.syncKey().map(k -> k.path("quorum").asInt()).orElse(0) == 2);
    assertThat(cluster.syncStates(old).values()).containsOnly("quorum");
    List<String> replicas = cluster.agents.keySet().stream().filter(n -> !n.equals(old)).toList();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.agent(replicas.get(0)).status("/quorum") == 200);

    try (SyncCluster.Writer writer = new SyncCluster.Writer(cluster.multiHostUrl())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> writer.count() >= 200);
      String lostReplica = replicas.get(0);
      cluster.agent(old).crash();
      cluster.agent(lostReplica).crash();
      List<String> survivors = replicas.subList(1, 3);

      // Two voters of three cannot prove they hold every commit: nobody is promoted.
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .failFast("a survivor was promoted without a quorum", () -> cluster.leader().isPresent())
          .until(
              () ->
                  survivors.stream()
                      .anyMatch(s -> logSays(s, "the quorum requirement 3 cannot be reached")));

      // The lost replica answers again: three voters, the most advanced is promoted.
      cluster.agent(lostReplica).start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> cluster.leader().isPresent());
      String next = cluster.leader().orElseThrow();
      assertThat(next).isNotEqualTo(old);
      int atFailover = writer.count();
      await().atMost(Duration.ofSeconds(60)).until(() -> writer.count() >= atFailover + 10);
      Set<Long> acknowledged = writer.snapshot();
      assertThat(SyncCluster.missing(acknowledged, cluster.ids(next)))
          .as("acknowledged rows missing on the new primary %s", next)
          .isEmpty();

      cluster.agent(old).start();
      cluster.awaitLeaderAndStreaming(Duration.ofSeconds(180));
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> cluster.syncStandbys().size() == 3 && next.equals(cluster.syncLeader()));
    }
  }
}
