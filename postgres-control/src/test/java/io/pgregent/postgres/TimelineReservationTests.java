package io.pgregent.postgres;

import static io.pgregent.postgres.TestNodes.leaderOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Placeholder history files keep a promotion from taking a timeline number another member took:
 * PostgreSQL numbers past them, never follows one, and hands them to its standbys.
 */
@Timeout(300)
class TimelineReservationTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static PostgresController node1;
  static PostgresController node2;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-reserve");
    node1 = cluster.controller(cluster.node("reserve", "node1").build());
    node2 = cluster.controller(cluster.node("reserve", "node2").build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void aPromotionNumbersItsTimelinePastTheReservedOnesAndItsStandbysKeepThem() throws Exception {
    TestNodes.bootstrapAndAwaitRunning(node1, LONG);
    node1.client().execute("CREATE TABLE t (v text)");
    node1.slots().syncReplicationSlots(Set.of("node1", "node2"));
    node2.createReplica(leaderOf(node1), LONG);
    node2.start();
    // Streamed, not in the copy: the standby has everything up to the old primary's clean stop.
    node1.client().execute("INSERT INTO t VALUES ('on timeline 1')");
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(TestNodes.rowsOfT(node2)).contains("on timeline 1"));
    node1.stop(StopMode.FAST, LONG);

    // Timelines 2 to 4 are taken elsewhere in the cluster.
    assertThat(node2.reserveTimelines(Optional.empty(), 4)).isEqualTo(5);
    for (long tl = 2; tl <= 4; tl++) {
      assertThat(Files.readString(TimelineHistoryFile.of(node2.dataDir(), tl)))
          .startsWith("# timeline " + tl);
    }
    assertThat(node2.reserveTimelines(Optional.of(1), 1)).isEqualTo(5);
    // The standby looks for a newer timeline each time streaming fails: a placeholder is none.
    await()
        .atMost(LONG)
        .until(
            () ->
                Files.readString(node2.logFile())
                    .contains("new timeline 4 is not a child of database system timeline 1"));

    node2.promote(LONG);
    assertThat(node2.state().timeline()).contains(5);
    // Its history is its own: it left timeline 1, and never went through the placeholders.
    List<TimelineHistoryFile.Switch> switches =
        TimelineHistoryFile.switchesBefore(node2.dataDir(), 5);
    assertThat(switches).extracting(TimelineHistoryFile.Switch::timeline).containsExactly(1L);
    node2.slots().syncReplicationSlots(Set.of("node1", "node2"));
    node2.client().execute("INSERT INTO t VALUES ('on timeline 5')");

    // The old primary follows (it stopped cleanly: no rewind) and fetches the history files from
    // timeline 2 to 5, the placeholders among them.
    assertThat(node1.rewindRequired(leaderOf(node2), LONG)).isFalse();
    node1.followLeader(leaderOf(node2));
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(TestNodes.rowsOfT(node1)).contains("on timeline 5"));
    assertThat(TimelineHistoryFile.of(node1.dataDir(), 3)).exists();

    // So it, in turn, numbers past every timeline it heard of.
    node2.stop(StopMode.FAST, LONG);
    node1.promote(LONG);
    assertThat(node1.state().timeline()).contains(6);
    assertThat(TimelineHistoryFile.switchesBefore(node1.dataDir(), 6))
        .extracting(TimelineHistoryFile.Switch::timeline)
        .containsExactly(1L, 5L);
  }
}
