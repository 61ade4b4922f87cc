package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.TimelineHistoryFile;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The leader keeps the cluster's {@code history} whole: members judge stale primaries and diverged
 * standbys by it, so a missing switch to the leader's timeline is recorded again from PostgreSQL's
 * timeline history. Real agents, PostgreSQL and etcd.
 */
@Timeout(300)
class HistoryRepairTests {

  @AutoClose private final LeaderAndReplica cluster = new LeaderAndReplica("history");

  @Test
  void theLeaderRecordsTheSwitchToItsTimelineWhenTheHistoryLacksIt() {
    cluster.start(c -> c);
    HaLoop loop1 = cluster.replicaLoop();
    Dcs dcs = cluster.dcs();
    cluster.stopLeader();
    // pg1 takes over on timeline 2 and records the switch from timeline 1
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                loop1.snapshot().map(AgentSnapshot::holdsLock).orElse(false)
                    && dcs.read().history().map(h -> h.entries().size() == 1).orElse(false));
    TimelineHistory recorded = dcs.read().history().orElseThrow();
    assertThat(recorded.entries().get(0).timeline()).isEqualTo(1);
    // to the byte where PostgreSQL's history file has timeline 1 end: members compare lineages by
    // it
    long fileLsn =
        TimelineHistoryFile.switchesBefore(cluster.replicaPostgres().dataDir(), 2).get(0).lsn();
    assertThat(recorded.entries().get(0).switchLsn()).isEqualTo(fileLsn);

    // the key is lost (an operator, a failed write): the leader records it again
    assertThat(dcs.compareAndDelete(ClusterKey.HISTORY, recorded.version())).isTrue();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> dcs.read().history().isPresent());
    List<TimelineHistory.Entry> repaired = dcs.read().history().orElseThrow().entries();
    assertThat(repaired).hasSize(1);
    assertThat(repaired.get(0).timeline()).isEqualTo(1);
    // PostgreSQL's own switch point: where timeline 2 begins
    assertThat(repaired.get(0).switchLsn()).isEqualTo(fileLsn);

    // a key that has timeline 1 end elsewhere (another lineage's, a sampled guess) is corrected
    TimelineHistory current = dcs.read().history().orElseThrow();
    TimelineHistory.Entry e = current.entries().get(0);
    TimelineHistory.Entry elsewhere =
        new TimelineHistory.Entry(
            e.timeline(), e.switchLsn() + 8, e.reason(), e.timestamp(), e.newLeader());
    assertThat(
            dcs.compareAndSet(
                ClusterKey.HISTORY,
                current.version(),
                ClusterCodec.encode(new TimelineHistory(List.of(elsewhere), 0))))
        .isTrue();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                dcs.read()
                    .history()
                    .map(h -> h.entries().size() == 1 && h.entries().get(0).switchLsn() == fileLsn)
                    .orElse(false));
  }
}
