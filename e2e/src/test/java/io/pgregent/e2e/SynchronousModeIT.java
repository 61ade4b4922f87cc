package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * {@code synchronous_mode: true} on three agent processes, {@code pg2} tagged {@code nosync}: the
 * synchronous standby is published only once PostgreSQL confirms it, only it is promoted when the
 * primary's machine dies (ten times in a row, with a writer recording every acknowledged commit),
 * and strict mode makes commits wait rather than go asynchronous.
 */
@Timeout(900)
class SynchronousModeIT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> SynchronousModeIT.cluster.describe());

  private static final int KILLS = Integer.getInteger("regent.sync.kills", 10);
  private static SyncCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster =
        new SyncCluster(
            "e2esync", Map.of("pg0", Map.of(), "pg1", Map.of(), "pg2", Map.of("nosync", true)), 8);
    // The nosync member joins once another leads: as the first primary it would never be a standby.
    cluster.agent("pg0").start();
    cluster.agent("pg1").start();
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.leader().isPresent());
    cluster.agent("pg2").start();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    cluster.close();
  }

  /**
   * Every case starts from the whole cluster up, whatever the case before left: each agent running,
   * not in strict mode, one leader and the others streaming. A case turns synchronous mode on
   * itself.
   */
  @BeforeEach
  void startFromAHealthyCluster() throws Exception {
    cluster.agents.values().stream().filter(a -> !a.isAlive()).forEach(RegentAgent::start);
    cluster.awaitLeaderAndStreaming(Duration.ofSeconds(180));
    cluster.patchConfig("{\"synchronous_mode_strict\": null}");
  }

  private static boolean nosyncChosen() {
    return cluster.syncStandbys().contains("pg2");
  }

  /** The leader has published exactly one synchronous standby, never the nosync member. */
  private static String awaitSyncStandby(Duration bound) {
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(200))
        .failFast("the nosync member was made a synchronous standby", () -> nosyncChosen())
        .until(
            () ->
                cluster.leader().map(l -> l.equals(cluster.syncLeader())).orElse(false)
                    && cluster.syncStandbys().size() == 1);
    return cluster.syncStandbys().get(0);
  }

  @Test
  void theLeaderPublishesASynchronousStandbyPostgresConfirms() throws Exception {
    cluster.awaitLeaderAndStreaming(Duration.ofSeconds(180));
    String leader = cluster.leader().orElseThrow();
    assertThat(leader).isNotEqualTo("pg2");
    cluster.patchConfig("{\"synchronous_mode\": true}");
    String standby = awaitSyncStandby(Duration.ofSeconds(60));
    assertThat(standby).isNotIn(leader, "pg2");
    Map<String, String> states = cluster.syncStates(leader);
    assertThat(states).containsEntry(standby, "sync").containsEntry("pg2", "async");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> cluster.agent(standby).status("/sync") == 200);
    assertThat(cluster.agent(standby).status("/asynchronous")).isEqualTo(503);
    assertThat(cluster.agent("pg2").status("/synchronous")).isEqualTo(503);
    assertThat(cluster.agent("pg2").status("/asynchronous")).isEqualTo(200);
    assertThat(cluster.agent(standby).patroni().orElseThrow().path("sync_standby").asBoolean())
        .isTrue();
  }

  @Test
  void killingThePrimaryTenTimesLosesNoAcknowledgedCommit() throws Exception {
    cluster.patchConfig("{\"synchronous_mode\": true}");
    SyncCluster.Writer writer = new SyncCluster.Writer(cluster.multiHostUrl());
    try {
      for (int round = 1; round <= KILLS; round++) {
        String old = cluster.leader().orElseThrow();
        String standby = awaitSyncStandby(Duration.ofSeconds(90));
        int before = writer.count();
        await().atMost(Duration.ofSeconds(60)).until(() -> writer.count() >= before + 20);

        cluster.agent(old).crash();
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(100))
            .failFast(
                "an asynchronous member was promoted",
                () -> cluster.agent("pg2").status("/primary") == 200)
            .until(() -> cluster.leader().map(standby::equals).orElse(false));
        int atFailover = writer.count();
        await().atMost(Duration.ofSeconds(60)).until(() -> writer.count() >= atFailover + 10);

        Set<Long> acknowledged = writer.snapshot();
        Set<Long> present = cluster.ids(standby);
        assertThat(SyncCluster.missing(acknowledged, present))
            .as("round %d: acknowledged rows missing on the new primary %s", round, standby)
            .isEmpty();

        cluster.agent(old).start();
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> cluster.streaming(old));
        assertThat(awaitSyncStandby(Duration.ofSeconds(60))).as("round %d", round).isEqualTo(old);
      }
    } finally {
      writer.close();
    }
    Set<Long> acknowledged = writer.snapshot();
    String leader = cluster.leader().orElseThrow();
    assertThat(SyncCluster.missing(acknowledged, cluster.ids(leader))).isEmpty();
    assertThat(acknowledged.size()).isGreaterThan(KILLS * 30);
  }

  @Test
  void strictModeMakesCommitsWaitUntilAStandbyReturns() throws Exception {
    String leader = cluster.leader().orElseThrow();
    try (Connection c = cluster.agent(leader).connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS acked (id bigint primary key)");
    }
    cluster.patchConfig("{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}");
    String standby = awaitSyncStandby(Duration.ofSeconds(60));
    cluster.agent(standby).crash();
    cluster.agent("pg2").crash();

    RegentAgent primary = cluster.agent(leader);
    CompletableFuture<Boolean> commit =
        CompletableFuture.supplyAsync(
            () -> {
              try (Connection c =
                      DriverManager.getConnection(
                          "jdbc:postgresql://127.0.0.1:" + primary.pgPort + "/postgres",
                          "postgres",
                          "su-secret");
                  Statement st = c.createStatement()) {
                return st.executeUpdate("INSERT INTO acked VALUES (-1)") == 1;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> waitingForSyncRep(primary) > 0);
    assertThat(commit).as("a commit with no standby left").isNotDone();

    // As Patroni: strict mode without a candidate waits on '*', so a standby that comes back
    // acknowledges, a nosync one too; the sync key still names no standby, so none can be
    // promoted over a commit it may lack.
    cluster.agent("pg2").start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.streaming("pg2"));
    assertThat(commit.get(120, java.util.concurrent.TimeUnit.SECONDS))
        .as("a commit acknowledged by the standby that came back")
        .isTrue();
    assertThat(cluster.syncStandbys()).as("the nosync standby in the sync key").isEmpty();

    cluster.agent(standby).start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> cluster.streaming(standby));
    assertThat(commit.get(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(cluster.leader()).contains(leader);
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.ids(standby).contains(-1L));
    // The sync key names the standby once its agent has seen it streaming as a synchronous
    // candidate: a loop or two after it has caught up.
    assertThat(awaitSyncStandby(Duration.ofSeconds(60))).isEqualTo(standby);
  }

  private static int waitingForSyncRep(RegentAgent agent) {
    try (Connection c = agent.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")) {
      rs.next();
      return rs.getInt(1);
    } catch (Exception e) {
      return 0;
    }
  }
}
