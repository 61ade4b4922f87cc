package io.pgregent.core.ha;

import static io.pgregent.core.ha.HaDeciderTests.row;
import static io.pgregent.core.ha.HaInputs.ME;
import static io.pgregent.core.ha.HaInputs.apiUrl;
import static io.pgregent.core.ha.HaInputs.ask;
import static io.pgregent.core.ha.HaInputs.input;
import static io.pgregent.core.ha.HaInputs.peers;
import static io.pgregent.core.ha.HaInputs.primary;
import static io.pgregent.core.ha.HaInputs.primaryPeer;
import static io.pgregent.core.ha.HaInputs.refreshedLeader;
import static io.pgregent.core.ha.HaInputs.replicaOf;
import static io.pgregent.core.ha.HaInputs.replicaPeer;
import static io.pgregent.core.ha.HaInputs.settings;
import static io.pgregent.core.ha.SyncDeciderRows.key;
import static io.pgregent.core.ha.SyncDeciderRows.on;

import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Rows of the decision table for whom the leader race asks, failsafe mode, a failed promotion and
 * switchovers in synchronous mode.
 */
final class RaceDeciderRows {

  static final long NOW = 1_000_000_000_000L;
  static final long SECOND = 1_000_000_000L;

  private RaceDeciderRows() {}

  /** pg0 was last seen {@code agoNanos} before now. */
  static AgentMemory pg0Seen(long agoNanos) {
    return new AgentMemory(
        false,
        OptionalLong.empty(),
        false,
        OptionalLong.empty(),
        Map.of("pg0", new AgentMemory.Seen(apiUrl("pg0"), NOW - agoNanos)),
        OptionalLong.empty(),
        false,
        OptionalLong.empty());
  }

  /**
   * pg0, the old leader, lost its member key with its lease; we last saw it {@code agoNanos} ago.
   */
  private static HaInputs.Builder pg0Gone(LocalState local, long agoNanos) {
    return input().withoutMember("pg0").local(local).memory(pg0Seen(agoNanos)).now(NOW);
  }

  /**
   * No leader; we run as a primary on the cluster's timeline 3, the view re-read, and these peers
   * answered.
   */
  private static HaInputs.Builder lapsedPrimaryReread(PeerStatus... answered) {
    return input()
        .local(HaInputs.withTimeline(primary(10), 3))
        .historyUpTo(3)
        .cycle(CycleFacts.fresh().withViewReread().withPeers(peers(answered)));
  }

  /**
   * Failsafe mode, the {@code failsafe} key names pg0 and pg2 but not us; the peers answered {@code
   * answered}.
   */
  private static HaInputs.Builder outsideTheFailsafeKey(LocalState local, PeerStatus... answered) {
    return input()
        .local(local)
        .settings(failsafeOn())
        .failsafe("pg0", "pg2")
        .cycle(CycleFacts.fresh().withPeers(peers(answered)));
  }

  /** Failsafe mode, the {@code failsafe} key names us, and our agent started 20 s ago. */
  private static HaInputs.Builder restartedInTheFailsafeKey(LocalState local) {
    return input()
        .local(local)
        .settings(failsafeOn())
        .failsafe("pg0", ME, "pg2")
        .memory(AgentMemory.initial().withStarted(NOW - 20 * SECOND))
        .now(NOW);
  }

  static AgentMemory promotionFailed(long agoNanos) {
    return AgentMemory.initial().withPromotionFailed(OptionalLong.of(NOW - agoNanos));
  }

  /** ttl 5 s, loop_wait 1 s, retry_timeout 2 s (the fast profile), failsafe mode on. */
  static HaSettings fastFailsafe() {
    return settings(5_000, 1_000, 2_000, 300_000, false, false, 1, true, false);
  }

  static HaSettings failsafeOn() {
    return settings(false, false, 1, true, false);
  }

  static Stream<Arguments> rows() {
    LocalState replica = replicaOf("pg0", 300);
    return Stream.of(
        // whom the race asks
        row(
            "race: the old leader, whose member key vanished with its lease, is asked too",
            pg0Gone(replica, 2 * SECOND),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "race: a member not seen for longer than ttl is no longer asked",
            pg0Gone(replica, 31 * SECOND),
            ask("pg2"),
            Reason.QUERYING_PEERS),
        row(
            "race: the old leader still runs as a primary: the race is aborted",
            pg0Gone(replica, 2 * SECOND)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(primaryPeer("pg0", 250), replicaPeer("pg2", 100)))),
            new Action.None(),
            Reason.NOT_HEALTHIEST),
        row(
            "race: a member known only from earlier views, ahead but no primary, is no rival",
            pg0Gone(replica, 2 * SECOND)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(replicaPeer("pg0", 900), replicaPeer("pg2", 100)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "race: a member in the store ahead of us is a rival",
            input()
                .local(replica)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(replicaPeer("pg0", 900), replicaPeer("pg2", 100)))),
            new Action.None(),
            Reason.PEER_WAL_AHEAD),
        row(
            "race in failsafe mode: the failsafe key's members are asked too",
            input().local(replica).settings(failsafeOn()).failsafe("pg0", ME, "pg2", "pg3"),
            ask("pg0", "pg2", "pg3"),
            Reason.QUERYING_PEERS),
        row(
            "race with failsafe mode off: the failsafe key neither asks nor excludes",
            input().local(replica).failsafe("pg0", "pg3"),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        // failsafe mode
        row(
            "failsafe mode: a member the failsafe key does not name first asks the named members",
            input().local(replica).settings(failsafeOn()).failsafe("pg0", "pg2"),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode: a member the failsafe key does not name never races while a named"
                + " member runs a primary",
            outsideTheFailsafeKey(replica, primaryPeer("pg0", 300), replicaPeer("pg2", 1)),
            new Action.None(),
            Reason.NOT_IN_FAILSAFE_TOPOLOGY),
        row(
            "failsafe mode: ... nor while a named member does not answer",
            outsideTheFailsafeKey(replica, PeerStatus.unreachable("pg0"), replicaPeer("pg2", 1)),
            new Action.None(),
            Reason.NOT_IN_FAILSAFE_TOPOLOGY),
        row(
            "failsafe mode: ... but races once every named member runs a standby (the key may name"
                + " a member the sync key rules out, and the cluster would stay leaderless)",
            outsideTheFailsafeKey(replica, replicaPeer("pg0", 1), replicaPeer("pg2", 1)),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "failsafe mode: an agent started within the heartbeat validity, named in the failsafe"
                + " key, first asks the members it may have vouched for before a restart",
            restartedInTheFailsafeKey(replica),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode: ... and keeps out of the race while one of them does not answer",
            restartedInTheFailsafeKey(replica)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(PeerStatus.unreachable("pg0"), replicaPeer("pg2", 1)))),
            new Action.None(),
            Reason.FAILSAFE_PROMISE_AFTER_START),
        row(
            "failsafe mode: ... or runs a primary",
            restartedInTheFailsafeKey(replica)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(primaryPeer("pg0", 300), replicaPeer("pg2", 1)))),
            new Action.None(),
            Reason.FAILSAFE_PROMISE_AFTER_START),
        row(
            "failsafe mode: ... and is no failover candidate meanwhile",
            restartedInTheFailsafeKey(replica)
                .failover(null, ME, null)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(PeerStatus.unreachable("pg0"), replicaPeer("pg2", 1)))),
            new Action.None(),
            Reason.FAILSAFE_PROMISE_AFTER_START),
        row(
            "failsafe mode: ... but races once all of them answer as standbys",
            restartedInTheFailsafeKey(replica)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(replicaPeer("pg0", 1), replicaPeer("pg2", 1)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "failsafe mode: an agent started longer ago than the heartbeat validity races",
            input()
                .local(replica)
                .settings(failsafeOn())
                .failsafe("pg0", ME, "pg2")
                .memory(AgentMemory.initial().withStarted(NOW - 60 * SECOND))
                .now(NOW),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode: a freshly started agent the failsafe key does not name was never asked"
                + " to vouch: no wait",
            input()
                .local(replica)
                .settings(failsafeOn())
                .failsafe("pg0", "pg2")
                .memory(AgentMemory.initial().withStarted(NOW - 20 * SECOND))
                .now(NOW),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode: a running primary whose agent just started vouched for nobody: it"
                + " judges its lapsed lock",
            input()
                .local(primary(300))
                .settings(failsafeOn())
                .failsafe("pg0", ME, "pg2")
                .memory(AgentMemory.initial().withStarted(NOW - 20 * SECOND))
                .now(NOW),
            new Action.ReadView(),
            Reason.REREADING_BEFORE_RETAKING_LOCK),
        row(
            "failsafe mode off: a freshly started agent races at once",
            input()
                .local(replica)
                .failsafe("pg0", ME, "pg2")
                .memory(AgentMemory.initial().withStarted(NOW - 20 * SECOND))
                .now(NOW),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode: an empty failsafe key excludes nobody",
            input().local(replica).settings(failsafeOn()).failsafe(),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "failsafe mode, small ttl: a heartbeat older than ttl but within the primary's call"
                + " interval keeps us out of the race",
            input()
                .local(replica)
                .settings(fastFailsafe())
                .memory(
                    AgentMemory.initial().withFailsafeHeartbeat(OptionalLong.of(NOW - 9 * SECOND)))
                .now(NOW),
            new Action.None(),
            Reason.FAILSAFE_LEADER_ALIVE),
        row(
            "failsafe mode, small ttl: a heartbeat older than the call interval has lapsed",
            input()
                .local(replica)
                .settings(fastFailsafe())
                .memory(
                    AgentMemory.initial().withFailsafeHeartbeat(OptionalLong.of(NOW - 10 * SECOND)))
                .now(NOW),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        // a failed promotion
        row(
            "promotion failed while holding the lock: release it",
            refreshedLeader(replica).memory(promotionFailed(SECOND)).now(NOW),
            new Action.ReleaseLock(),
            Reason.PROMOTION_FAILED_RELEASING_LOCK),
        row(
            "promotion failed but PostgreSQL is a primary after all: keep the lock",
            refreshedLeader(primary(300)).memory(promotionFailed(SECOND)).now(NOW),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "promotion failed: no leader race for a ttl",
            input().local(replica).memory(promotionFailed(29 * SECOND)).now(NOW),
            new Action.None(),
            Reason.PROMOTION_BACKOFF),
        row(
            "promotion failed: not even as the named candidate of a failover",
            input()
                .local(replica)
                .failover("pg0", ME, null)
                .memory(promotionFailed(SECOND))
                .now(NOW),
            new Action.None(),
            Reason.PROMOTION_BACKOFF),
        row(
            "promotion failed more than a ttl ago: race again",
            input().local(replica).memory(promotionFailed(30 * SECOND)).now(NOW),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        // a running primary whose lock lapsed
        row(
            "no leader, running as a primary: read the cluster again before re-taking the lock",
            input().local(HaInputs.withTimeline(primary(10), 3)).historyUpTo(3),
            new Action.ReadView(),
            Reason.REREADING_BEFORE_RETAKING_LOCK),
        row(
            "no leader, running as a primary on the cluster's timeline: race once re-read",
            input()
                .local(HaInputs.withTimeline(primary(10), 3))
                .historyUpTo(3)
                .cycle(CycleFacts.fresh().withViewReread()),
            ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "no leader, running as a primary, re-read: standbys past its cycle's WAL sample (they"
                + " streamed on since) do not outrank it",
            lapsedPrimaryReread(replicaPeer("pg0", 900), replicaPeer("pg2", 100)),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "no leader, running as a primary, re-read: another member running as a primary does",
            lapsedPrimaryReread(primaryPeer("pg0", 5), replicaPeer("pg2", 100)),
            new Action.None(),
            Reason.NOT_HEALTHIEST),
        // the leader keeps the cluster history whole
        row(
            "leader on timeline 3 whose history lacks the switch to it: repair the history",
            refreshedLeader(HaInputs.withTimeline(primary(10), 3)).historyUpTo(2),
            new Action.RepairHistory(),
            Reason.REPAIRING_HISTORY),
        row(
            "leader on timeline 4 forked off timeline 2 (3 abandoned), its switch recorded: no repair",
            refreshedLeader(HaInputs.withTimeline(primary(10), 4)).historyLeaving(ME, 1, 2),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "leader on timeline 3 with no history at all: repair the history",
            refreshedLeader(HaInputs.withTimeline(primary(10), 3)),
            new Action.RepairHistory(),
            Reason.REPAIRING_HISTORY),
        row(
            "leader: the history repair ran this cycle (whatever came of it): once a cycle",
            input()
                .leader(ME)
                .local(HaInputs.withTimeline(primary(10), 3))
                .cycle(CycleFacts.fresh().withLockRefreshed(true).withHistoryRepaired()),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "leader on timeline 3 whose history records the switch: nothing to repair",
            refreshedLeader(HaInputs.withTimeline(primary(10), 3)).historyUpTo(3),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        // switchover in synchronous mode
        row(
            "sync on: a switchover to a candidate outside the sync key is cleared",
            leading().failover(ME, "pg2", null),
            new Action.ClearFailover(),
            Reason.SWITCHOVER_CANDIDATE_NOT_SYNC),
        row(
            "sync on: so is a due scheduled switchover (the REST API does not check those)",
            leading().failover(ME, "pg2", at(-1_000)),
            new Action.ClearFailover(),
            Reason.SWITCHOVER_CANDIDATE_NOT_SYNC),
        row(
            "sync on: a switchover without candidate hands over to synchronous standbys only",
            leading()
                .failover(ME, null, null)
                .cycle(
                    CycleFacts.fresh()
                        .withLockRefreshed(true)
                        .withPeers(peers(replicaPeer("pg0", 1000), replicaPeer("pg2", 1000)))),
            new Action.StepDown(java.util.List.of("pg0")),
            Reason.MANUAL_FAILOVER_DEMOTING),
        row(
            "sync on: no synchronous standby healthy: the switchover is cleared",
            leading()
                .failover(ME, null, null)
                .cycle(
                    CycleFacts.fresh()
                        .withLockRefreshed(true)
                        .withPeers(peers(PeerStatus.unreachable("pg0"), replicaPeer("pg2", 1000)))),
            new Action.ClearFailover(),
            Reason.NO_HEALTHY_CANDIDATE),
        row(
            "sync on: a failover (no leader named) may go to an asynchronous member",
            leading()
                .failover(null, "pg2", null)
                .cycle(
                    CycleFacts.fresh()
                        .withLockRefreshed(true)
                        .withPeers(peers(replicaPeer("pg2", 1000)))),
            new Action.StepDown(java.util.List.of("pg2")),
            Reason.MANUAL_FAILOVER_DEMOTING),
        row(
            "sync on: a switchover candidate outside the sync key does not take the free lock",
            input()
                .local(replica)
                .settings(on())
                .sync(key("pg0", 0, "pg2"))
                .failover("pg0", ME, null),
            new Action.None(),
            Reason.NOT_SYNC_STANDBY),
        row(
            "sync on: the synchronous standby named by a switchover takes the free lock",
            input().local(replica).settings(on()).sync(key("pg0", 0, ME)).failover("pg0", ME, null),
            new Action.AcquireLock(),
            Reason.MANUAL_FAILOVER_CANDIDATE));
  }

  /** The leader in synchronous mode, pg0 its synchronous standby, pg2 asynchronous. */
  private static HaInputs.Builder leading() {
    return SyncDeciderRows.leading(
            on(), SyncDeciderRows.primaryWith("\"pg0\"", SyncDeciderRows.link("pg0", "sync", 1000)))
        .sync(key(ME, 0, "pg0"));
  }

  private static java.time.OffsetDateTime at(long offsetMillis) {
    return java.time.Instant.ofEpochMilli(HaInputs.EPOCH_MILLIS + offsetMillis)
        .atOffset(java.time.ZoneOffset.UTC);
  }
}
