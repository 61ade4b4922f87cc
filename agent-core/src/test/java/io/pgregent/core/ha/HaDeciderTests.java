package io.pgregent.core.ha;

import static io.pgregent.core.ha.HaInputs.ME;
import static io.pgregent.core.ha.HaInputs.busy;
import static io.pgregent.core.ha.HaInputs.busyPrimary;
import static io.pgregent.core.ha.HaInputs.downSince;
import static io.pgregent.core.ha.HaInputs.foreign;
import static io.pgregent.core.ha.HaInputs.inState;
import static io.pgregent.core.ha.HaInputs.input;
import static io.pgregent.core.ha.HaInputs.leaderMemory;
import static io.pgregent.core.ha.HaInputs.paused;
import static io.pgregent.core.ha.HaInputs.peers;
import static io.pgregent.core.ha.HaInputs.primary;
import static io.pgregent.core.ha.HaInputs.primaryStartTimeout;
import static io.pgregent.core.ha.HaInputs.refreshed;
import static io.pgregent.core.ha.HaInputs.refreshedLeader;
import static io.pgregent.core.ha.HaInputs.replicaOf;
import static io.pgregent.core.ha.HaInputs.replicaPeer;
import static io.pgregent.core.ha.HaInputs.settings;
import static io.pgregent.core.ha.HaInputs.startingStandby;
import static io.pgregent.core.ha.HaInputs.stoppedPrimary;
import static io.pgregent.core.ha.HaInputs.stoppedStandby;
import static io.pgregent.core.ha.HaInputs.withTimeline;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.ha.Action.DemoteMode;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every branch of the decision, one row each: the situation, the action, the reason. */
class HaDeciderTests {

  static Stream<Arguments> table() {
    return Stream.of(
            baseRows(),
            SyncDeciderRows.rows(),
            RaceDeciderRows.rows(),
            StandbyDeciderRows.rows(),
            LineageDeciderRows.rows())
        .flatMap(r -> r);
  }

  private static HaSettings replicateFrom(String member) {
    return settings(false, false, 1, false, false).withReplicationTags(member, false);
  }

  private static Stream<Arguments> baseRows() {
    PeerStatus aheadPeer = replicaPeer("pg2", 200);
    return Stream.of(
        // a long action is running
        row(
            "task running",
            input().local(busy("basebackup")),
            new Action.None(),
            Reason.TASK_RUNNING),
        // the store is down
        row(
            "store down, replica",
            input().storeDown().local(replicaOf("pg0", 1)),
            new Action.None(),
            Reason.DCS_UNREACHABLE),
        row(
            "store down, primary",
            input().storeDown().local(primary(10)).memory(leaderMemory()),
            new Action.Demote(DemoteMode.OFFLINE),
            Reason.DEMOTING_DCS_UNREACHABLE),
        row(
            "store down, primary, paused",
            input().storeDown().local(primary(10)).settings(paused()),
            new Action.None(),
            Reason.DCS_UNREACHABLE),
        row(
            "store down, failsafe: ask members",
            input()
                .storeDown()
                .local(primary(10))
                .memory(leaderMemory())
                .settings(settings(false, false, 1, true, false)),
            new Action.QueryFailsafe(),
            Reason.FAILSAFE_CHECK),
        row(
            "store down, failsafe: all accepted",
            input()
                .storeDown()
                .local(primary(10))
                .memory(leaderMemory())
                .settings(settings(false, false, 1, true, false))
                .cycle(CycleFacts.fresh().withFailsafeAccepted(true)),
            new Action.None(),
            Reason.FAILSAFE_KEEPS_PRIMARY),
        row(
            "store down, failsafe: one refused",
            input()
                .storeDown()
                .local(primary(10))
                .memory(leaderMemory())
                .settings(settings(false, false, 1, true, false))
                .cycle(CycleFacts.fresh().withFailsafeAccepted(false)),
            new Action.Demote(DemoteMode.OFFLINE),
            Reason.DEMOTING_DCS_UNREACHABLE),
        row(
            "store down, failsafe, but we were not the leader",
            input().storeDown().local(primary(10)).settings(settings(false, false, 1, true, false)),
            new Action.Demote(DemoteMode.OFFLINE),
            Reason.DEMOTING_DCS_UNREACHABLE),
        // foreign data
        row(
            "system identifier differs",
            input().leader("pg0").local(foreign()),
            new Action.Halt(),
            Reason.SYSTEM_ID_MISMATCH),
        // holding the lock
        row(
            "leader: refresh first",
            input().leader(ME).local(primary(10)),
            new Action.RefreshLock(),
            Reason.REFRESHING_LOCK),
        row(
            "leader: refreshed, running primary",
            refreshedLeader(primary(10)),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "leader: refresh failed",
            input()
                .leader(ME)
                .local(primary(10))
                .cycle(CycleFacts.fresh().withLockRefreshed(false)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK),
            Reason.DEMOTED_LOCK_NOT_UPDATED),
        row(
            "leader: refresh failed, not running as primary",
            input()
                .leader(ME)
                .local(replicaOf("pg0", 10))
                .cycle(CycleFacts.fresh().withLockRefreshed(false)),
            new Action.None(),
            Reason.LOCK_NOT_UPDATED),
        row(
            "leader: holds the lock as a standby",
            refreshedLeader(replicaOf("pg0", 10)),
            new Action.Promote(),
            Reason.PROMOTED_BECAUSE_HAD_LOCK),
        row(
            "leader: paused",
            refreshedLeader(inState(PostgresRunState.STOPPED)).settings(paused()),
            new Action.None(),
            Reason.PAUSED_LEADER),
        row(
            "leader: PostgreSQL crashed",
            refreshedLeader(inState(PostgresRunState.CRASHED)),
            new Action.StartPostgres(false, null),
            Reason.STARTING_PRIMARY_AFTER_FAILURE),
        row(
            "leader: starting the crashed primary failed",
            input()
                .leader(ME)
                .local(inState(PostgresRunState.CRASHED))
                .cycle(CycleFacts.fresh().withLockRefreshed(true).withPrimaryStartFailed()),
            new Action.ReleaseLock(true),
            Reason.PRIMARY_START_FAILED),
        row(
            "leader: PostgreSQL starting",
            refreshedLeader(inState(PostgresRunState.STARTING))
                .memory(downSince(1_000_000_000_000L)),
            new Action.None(),
            Reason.WAITING_FOR_POSTGRES),
        row(
            "leader: down past primary_start_timeout",
            refreshedLeader(inState(PostgresRunState.STARTING))
                .settings(primaryStartTimeout(5_000))
                .memory(downSince(0))
                .now(5_000_000_000L),
            new Action.ReleaseLock(),
            Reason.PRIMARY_START_TIMED_OUT),
        row(
            "leader: primary_start_timeout 0 fails over at once",
            refreshedLeader(inState(PostgresRunState.CRASHED))
                .settings(primaryStartTimeout(0))
                .memory(downSince(7))
                .now(7),
            new Action.ReleaseLock(),
            Reason.PRIMARY_START_TIMED_OUT),
        row(
            "leader: data directory gone",
            refreshedLeader(inState(PostgresRunState.NO_DATA)),
            new Action.ReleaseLock(),
            Reason.NO_DATA_RELEASING_LOCK),
        // another member holds the lock
        row(
            "follower: streaming from the leader",
            input().leader("pg0").local(replicaOf("pg0", 10)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "follower: streaming from a former leader",
            input().leader("pg2").local(replicaOf("pg0", 10)),
            new Action.FollowLeader("pg2"),
            Reason.FOLLOWING_NEW_LEADER),
        row(
            "follower: paused, streaming from a former leader",
            input().leader("pg2").local(replicaOf("pg0", 10)).settings(paused()),
            new Action.None(),
            Reason.PAUSED_SECONDARY),
        row(
            "primary without the lock: demote and join the leader",
            input().leader("pg0").local(primary(10)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK, "pg0"),
            Reason.DEMOTING_NO_LOCK),
        row(
            "primary without the lock, the holder has not promoted: demote, join it later",
            input().leaderNotPromotedYet("pg0").local(primary(10)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK),
            Reason.DEMOTING_NO_LOCK),
        row(
            "a demoted primary's data waits for the lock holder to promote before rejoining it",
            input().leaderNotPromotedYet("pg0").local(stoppedStandby().withFormerPrimary(true)),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_TO_PROMOTE),
        row(
            "a demoted primary's data joins the lock holder once it runs as primary",
            input().leader("pg0").local(stoppedStandby().withFormerPrimary(true)),
            new Action.StartPostgres(true, "pg0"),
            Reason.STARTING_AS_SECONDARY),
        row(
            "a former primary running read-only waits for the lock holder to promote",
            input().leaderNotPromotedYet("pg0").local(replicaOf("pg0", 10).withFormerPrimary(true)),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_TO_PROMOTE),
        row(
            "a former primary running read-only follows the lock holder once it is primary",
            input()
                .leader("pg0")
                .local(HaInputs.running(true, 10, Optional.empty()).withFormerPrimary(true)),
            new Action.FollowLeader("pg0"),
            Reason.FOLLOWING_NEW_LEADER),
        row(
            "primary without the lock, paused",
            input().leader("pg0").local(primary(10)).settings(paused()),
            new Action.None(),
            Reason.PAUSED_PRIMARY_WITHOUT_LOCK),
        row(
            "empty data directory, a leader exists",
            input().leader("pg0").local(inState(PostgresRunState.NO_DATA)),
            new Action.CloneFromLeader("pg0", "pg0"),
            Reason.CLONING_FROM_LEADER),
        row(
            "no data: clone a running member tagged clonefrom rather than the leader",
            input()
                .leader("pg0")
                .tag("pg2", "clonefrom", "true")
                .local(inState(PostgresRunState.NO_DATA)),
            new Action.CloneFromLeader("pg2", "pg0"),
            Reason.CLONING_FROM_REPLICA),
        row(
            "no data: a clonefrom member that is not running is not cloned",
            input()
                .leader("pg0")
                .tag("pg2", "clonefrom", true)
                .memberState("pg2", "stopped")
                .local(inState(PostgresRunState.NO_DATA)),
            new Action.CloneFromLeader("pg0", "pg0"),
            Reason.CLONING_FROM_LEADER),
        row(
            "no data: cloned from the leader, a replicatefrom member streams from that member",
            input()
                .leader("pg0")
                .settings(replicateFrom("pg2"))
                .local(inState(PostgresRunState.NO_DATA)),
            new Action.CloneFromLeader("pg0", "pg2"),
            Reason.CLONING_FROM_LEADER),
        row(
            "replicatefrom: stream from the named member",
            input().leader("pg0").settings(replicateFrom("pg2")).local(replicaOf("pg0", 10)),
            new Action.FollowLeader("pg2"),
            Reason.FOLLOWING_REPLICATEFROM),
        row(
            "replicatefrom: streaming from the named member",
            input().leader("pg0").settings(replicateFrom("pg2")).local(replicaOf("pg2", 10)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "nostream: replicatefrom does not apply, the archive is the leader's",
            input()
                .leader("pg0")
                .settings(settings(false, false, 1, false, false).withReplicationTags("pg2", true))
                .local(replicaOf("pg0", 10)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "replicatefrom a member not in the cluster: the leader",
            input()
                .leader("pg0")
                .withoutMember("pg2")
                .settings(replicateFrom("pg2"))
                .local(replicaOf("pg2", 10)),
            new Action.FollowLeader("pg0"),
            Reason.FOLLOWING_NEW_LEADER),
        row(
            "empty data directory, no leader, a no_leader replica method: restore without leader",
            input()
                .local(inState(PostgresRunState.NO_DATA))
                .settings(
                    HaInputs.settings(false, false, 1, false, false).withCloneWithoutLeader(true)),
            new Action.CloneWithoutLeader(),
            Reason.CLONING_WITHOUT_LEADER),
        row(
            "empty data directory, the leader has not published its address yet",
            input().leaderWithoutMemberKey("pg0").local(inState(PostgresRunState.NO_DATA)),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_ADDRESS),
        row(
            "follower: a new leader whose member key is not back yet is waited for",
            input().leaderWithoutMemberKey("pg2").local(replicaOf("pg0", 10)),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_ADDRESS),
        row(
            "stopped standby: a leader whose member key is not back yet is waited for",
            input().leaderWithoutMemberKey("pg0").local(stoppedStandby()),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_ADDRESS),
        row(
            "stopped, a leader exists",
            input().leader("pg0").local(inState(PostgresRunState.STOPPED)),
            new Action.StartPostgres(true, "pg0"),
            Reason.STARTING_AS_SECONDARY),
        row(
            "a stopped primary's data waits for the lock holder to promote before rejoining it",
            input().leaderNotPromotedYet("pg0").local(stoppedPrimary()),
            new Action.None(),
            Reason.WAITING_FOR_LEADER_TO_PROMOTE),
        row(
            "a stopped standby joins a lock holder that has not promoted (no rewind)",
            input().leaderNotPromotedYet("pg0").local(stoppedStandby()),
            new Action.StartPostgres(true, "pg0"),
            Reason.STARTING_AS_SECONDARY),
        row(
            "stopped, a leader exists, paused",
            input().leader("pg0").local(inState(PostgresRunState.STOPPED)).settings(paused()),
            new Action.None(),
            Reason.PAUSED_POSTGRES_NOT_RUNNING),
        row(
            "stopped by our own switchover in pause: back as the new leader's standby",
            input()
                .leader("pg0")
                .local(inState(PostgresRunState.STOPPED))
                .settings(paused())
                .memory(AgentMemory.initial().withSteppedDown(true)),
            new Action.StartPostgres(true, "pg0"),
            Reason.STARTING_AS_SECONDARY),
        row(
            "a standby starting, a leader exists",
            input().leader("pg0").local(startingStandby()),
            new Action.None(),
            Reason.WAITING_FOR_POSTGRES),
        row(
            "a primary that does not answer, another leader: stop it",
            input().leader("pg0").local(inState(PostgresRunState.STARTING)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK, "pg0"),
            Reason.UNQUERYABLE_PRIMARY_WITHOUT_LOCK),
        row(
            "a primary that does not answer, another leader, paused: nothing is enforced",
            input().leader("pg0").settings(paused()).local(inState(PostgresRunState.STARTING)),
            new Action.None(),
            Reason.WAITING_FOR_POSTGRES),
        // bootstrap
        row(
            "new cluster: race for initialize",
            input().uninitialized().local(inState(PostgresRunState.NO_DATA)),
            new Action.RaceInitialize(),
            Reason.TRYING_TO_BOOTSTRAP),
        row(
            "new cluster: won the race",
            input()
                .uninitialized()
                .local(inState(PostgresRunState.NO_DATA))
                .cycle(CycleFacts.fresh().withInitializeWon(true)),
            new Action.Bootstrap(),
            Reason.BOOTSTRAPPING),
        row(
            "new cluster: lost the race",
            input()
                .uninitialized()
                .local(inState(PostgresRunState.NO_DATA))
                .cycle(CycleFacts.fresh().withInitializeWon(false)),
            new Action.None(),
            Reason.INITIALIZE_RACE_LOST),
        row(
            "new cluster: bootstrap continues",
            input()
                .local(inState(PostgresRunState.NO_DATA))
                .memory(AgentMemory.initial().withBootstrapping(true)),
            new Action.Bootstrap(),
            Reason.BOOTSTRAPPING),
        row(
            "new cluster: someone else bootstraps",
            input().local(inState(PostgresRunState.NO_DATA)),
            new Action.None(),
            Reason.WAITING_FOR_BOOTSTRAP),
        row(
            "new cluster: nofailover members never bootstrap",
            input()
                .uninitialized()
                .local(inState(PostgresRunState.NO_DATA))
                .settings(settings(false, true, 1, false, false)),
            new Action.None(),
            Reason.WAITING_FOR_BOOTSTRAP),
        // leader race
        row(
            "no leader: paused",
            input().local(replicaOf("pg0", 10)).settings(paused()),
            new Action.None(),
            Reason.PAUSED_NO_LEADER),
        row(
            "no leader: paused, a running primary takes the free lock",
            input().local(primary(100)).settings(paused()),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "no leader: paused, a running primary took the free lock and stays as it is",
            input()
                .local(primary(100))
                .settings(paused())
                .cycle(CycleFacts.fresh().withLockAcquired(true)),
            new Action.None(),
            Reason.ACQUIRED_LOCK),
        row(
            "no leader: stopped, start read-only first",
            input().local(inState(PostgresRunState.STOPPED)),
            new Action.StartPostgres(true, null),
            Reason.STARTING_AS_SECONDARY),
        row(
            "no cluster in the store, a stopped primary: lock first",
            input().uninitialized().local(stoppedPrimary()),
            new Action.AcquireLock(),
            Reason.ADOPTING_PRIMARY),
        row(
            "no cluster in the store, a stopped primary, lock taken: start it as it is",
            input()
                .uninitialized()
                .local(stoppedPrimary())
                .cycle(CycleFacts.fresh().withLockAcquired(true)),
            new Action.StartPostgres(false, null),
            Reason.STARTING_ADOPTED_PRIMARY),
        row(
            "no cluster in the store, a stopped primary, lock lost",
            input()
                .uninitialized()
                .local(stoppedPrimary())
                .cycle(CycleFacts.fresh().withLockAcquired(false)),
            new Action.None(),
            Reason.LOST_LOCK_RACE),
        row(
            "no cluster in the store, a stopped standby starts read-only",
            input().uninitialized().local(stoppedStandby()),
            new Action.StartPostgres(true, null),
            Reason.STARTING_AS_SECONDARY),
        row(
            "no leader: a standby starting",
            input().local(startingStandby()),
            new Action.None(),
            Reason.WAITING_FOR_POSTGRES),
        row(
            "no leader: a primary that does not answer is stopped, never raced with",
            input().local(inState(PostgresRunState.STARTING)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK),
            Reason.UNQUERYABLE_PRIMARY_WITHOUT_LOCK),
        row(
            "no leader: nofailover",
            input().local(replicaOf("pg0", 10)).settings(settings(false, true, 1, false, false)),
            new Action.None(),
            Reason.NOT_ALLOWED_TO_PROMOTE),
        row(
            "no leader: nofailover false wins over failover_priority 0",
            input().local(replicaOf("pg0", 10)).settings(settings(false, false, 0, false, false)),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "no leader: lagging past maximum_lag_on_failover",
            input().local(replicaOf("pg0", 10)).optime(10 + 1_048_577),
            new Action.None(),
            Reason.LAG_TOO_HIGH),
        row(
            "no leader: lag exactly at the limit may race",
            input().local(replicaOf("pg0", 10)).optime(10 + 1_048_576),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "no leader: check_timeline and behind",
            input()
                .local(withTimeline(replicaOf("pg0", 10), 1))
                .historyUpTo(2)
                .settings(settings(false, false, 1, false, true)),
            new Action.None(),
            Reason.TIMELINE_BEHIND),
        row(
            "no leader: a stale primary is never re-crowned",
            input()
                .local(withTimeline(primary(10), 1))
                .historyUpTo(3)
                .cycle(CycleFacts.fresh().withViewReread()),
            new Action.None(),
            Reason.TIMELINE_BEHIND),
        row(
            "no leader: the old primary is alive in failsafe mode",
            input()
                .local(replicaOf("pg0", 10))
                .settings(settings(false, false, 1, true, false))
                .memory(
                    AgentMemory.initial().withFailsafeHeartbeat(OptionalLong.of(999_000_000_000L)))
                .now(1_000_000_000_000L),
            new Action.None(),
            Reason.FAILSAFE_LEADER_ALIVE),
        row(
            "no leader: the failsafe heartbeat is older than ttl",
            input()
                .local(replicaOf("pg0", 10))
                .settings(settings(false, false, 1, true, false))
                .memory(AgentMemory.initial().withFailsafeHeartbeat(OptionalLong.of(1)))
                .now(1_000_000_000_000L),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "no leader: ask the peers",
            input().local(replicaOf("pg0", 10)),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "no leader: a peer is ahead",
            input()
                .local(replicaOf("pg0", 10))
                .cycle(CycleFacts.fresh().withPeers(peers(aheadPeer))),
            new Action.None(),
            Reason.PEER_WAL_AHEAD),
        row(
            "no leader: a peer level with us has a higher failover_priority",
            input()
                .local(replicaOf("pg0", 10))
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(new PeerStatus("pg2", true, false, 10, 1, false, 2)))),
            new Action.None(),
            Reason.PEER_HIGHER_PRIORITY),
        row(
            "no leader: healthiest",
            input()
                .local(replicaOf("pg0", 300))
                .cycle(CycleFacts.fresh().withPeers(peers(aheadPeer))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "no leader: won the lock",
            input()
                .local(replicaOf("pg0", 300))
                .cycle(CycleFacts.fresh().withPeers(peers(aheadPeer)).withLockAcquired(true)),
            new Action.Promote(),
            Reason.PROMOTED_BY_ACQUIRING_LOCK),
        row(
            "no leader: running primary adopted by taking the lock",
            input()
                .uninitialized()
                .local(primary(300))
                .cycle(CycleFacts.fresh().withLockAcquired(true)),
            new Action.None(),
            Reason.ACQUIRED_LOCK),
        row(
            "no leader: lost the lock race",
            input()
                .local(replicaOf("pg0", 300))
                .cycle(CycleFacts.fresh().withPeers(peers(aheadPeer)).withLockAcquired(false)),
            new Action.None(),
            Reason.LOST_LOCK_RACE),
        // a standby whose WAL went past the leader's fork point
        row(
            "a standby past the leader's fork point rejoins through pg_rewind",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyUpTo(2)
                .local(withTimeline(replicaOf("pg0", 150), 1)),
            new Action.Rejoin("pg0"),
            Reason.DIVERGED_FROM_LEADER),
        row(
            "a standby on a timeline the leader's lineage skipped rejoins through pg_rewind",
            input()
                .leader("pg0")
                .leaderTimeline(4)
                .historyLeaving("pg0", 1, 2)
                .local(withTimeline(replicaOf("pg0", 150), 3)),
            new Action.Rejoin("pg0"),
            Reason.TIMELINE_NOT_IN_LEADER_HISTORY),
        row(
            "a standby on the timeline of a switch the leader has not recorded yet follows",
            input()
                .leader("pg0")
                .leaderTimeline(4)
                .historyLeaving("pg2", 1, 2)
                .local(withTimeline(replicaOf("pg0", 150), 3)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby on a timeline older than a history cut short follows",
            input()
                .leader("pg0")
                .leaderTimeline(4)
                .historyLeaving("pg0", 2, 3)
                .local(withTimeline(replicaOf("pg0", 150), 1)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby behind the leader's fork point just follows",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyUpTo(2)
                .local(withTimeline(replicaOf("pg0", 100), 1)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby on the leader's timeline just follows",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyUpTo(2)
                .local(withTimeline(replicaOf("pg0", 150), 2)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        // a task runs outside the loop
        row(
            "task running on the leader: keep the lock",
            input().leader(ME).local(busy("restart")),
            new Action.RefreshLock(),
            Reason.REFRESHING_LOCK),
        row(
            "task running on the leader: lock kept",
            refreshedLeader(busy("restart")),
            new Action.None(),
            Reason.TASK_RUNNING_LEADER),
        row(
            "task running on a primary that lost the lock: demote, the task cannot keep it",
            input()
                .leader("pg0")
                .local(busyPrimary("restart"))
                .cycle(CycleFacts.fresh().withLockRefreshed(false)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK, "pg0"),
            Reason.DEMOTED_LOCK_NOT_UPDATED),
        row(
            "task running on a primary whose refresh was refused: demote",
            input()
                .leader(ME)
                .local(busyPrimary("restart"))
                .cycle(CycleFacts.fresh().withLockRefreshed(false)),
            new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK),
            Reason.DEMOTED_LOCK_NOT_UPDATED),
        row(
            "task running on a primary cut off from the store: demote",
            input().storeDown().local(busyPrimary("restart")),
            new Action.Demote(DemoteMode.OFFLINE),
            Reason.DEMOTING_DCS_UNREACHABLE),
        row(
            "task running on a paused primary without the lock: nothing is enforced",
            input().leader("pg0").settings(paused()).local(busyPrimary("restart")),
            new Action.None(),
            Reason.TASK_RUNNING),
        // a requested switchover, seen by the leader
        row(
            "switchover: ask the candidates",
            leaderWith().failover(ME, null, null),
            HaInputs.ask("pg0", "pg2"),
            Reason.CHECKING_CANDIDATES),
        row(
            "switchover to the best: step down for every healthy member",
            leaderWith()
                .failover(ME, null, null)
                .cycle(
                    refreshed()
                        .withPeers(
                            peers(
                                replicaPeer("pg0", 100),
                                replicaPeer("pg2", 90),
                                new PeerStatus("pg3", true, false, 100, 1, true, 1),
                                PeerStatus.unreachable("pg4")))),
            new Action.StepDown(java.util.List.of("pg0", "pg2")),
            Reason.MANUAL_FAILOVER_DEMOTING),
        row(
            "switchover to a named candidate",
            leaderWith()
                .failover(ME, "pg2", null)
                .cycle(
                    refreshed().withPeers(peers(replicaPeer("pg0", 100), replicaPeer("pg2", 100)))),
            new Action.StepDown(java.util.List.of("pg2")),
            Reason.MANUAL_FAILOVER_DEMOTING),
        row(
            "switchover: the candidate lags too far",
            leaderWith()
                .failover(ME, "pg2", null)
                .cycle(refreshed().withPeers(peers(replicaPeer("pg2", 100 - 1_048_577)))),
            new Action.ClearFailover(),
            Reason.NO_HEALTHY_CANDIDATE),
        row(
            "switchover: the candidate is tagged nofailover",
            leaderWith()
                .failover(ME, "pg2", null)
                .cycle(
                    refreshed()
                        .withPeers(peers(new PeerStatus("pg2", true, false, 100, 1, true, 1)))),
            new Action.ClearFailover(),
            Reason.NO_HEALTHY_CANDIDATE),
        row(
            "switchover: the candidate is behind on timeline (check_timeline)",
            leaderWith()
                .settings(settings(false, false, 1, false, true))
                .failover(ME, "pg2", null)
                .cycle(
                    refreshed()
                        .withPeers(peers(new PeerStatus("pg2", true, false, 100, 0, false, 1)))),
            new Action.ClearFailover(),
            Reason.NO_HEALTHY_CANDIDATE),
        row(
            "switchover from another leader: not ours",
            leaderWith().failover("pg0", "pg2", null),
            new Action.ClearFailover(),
            Reason.FAILOVER_LEADER_MISMATCH),
        row(
            "switchover done: the new leader clears the request",
            leaderWith().failover("pg0", ME, null),
            new Action.ClearFailover(),
            Reason.FAILOVER_DONE_CLEANING_UP),
        row(
            "scheduled switchover in the future: wait",
            leaderWith().failover(ME, "pg2", at(90_000)),
            new Action.None(),
            Reason.AWAITING_SCHEDULED_SWITCHOVER),
        row(
            "scheduled switchover now due",
            leaderWith().failover(ME, "pg2", at(-1_000)),
            HaInputs.ask("pg0", "pg2"),
            Reason.CHECKING_CANDIDATES),
        row(
            "scheduled switchover long past: stale",
            leaderWith().failover(ME, "pg2", at(-60_000)),
            new Action.ClearFailover(),
            Reason.STALE_FAILOVER),
        row(
            "switchover while paused without a candidate",
            leaderWith().settings(paused()).failover(ME, null, null),
            new Action.ClearFailover(),
            Reason.PAUSED_FAILOVER_NEEDS_CANDIDATE),
        row(
            "switchover while paused to a named candidate",
            leaderWith()
                .settings(paused())
                .failover(ME, "pg2", null)
                .cycle(refreshed().withPeers(peers(replicaPeer("pg2", 100)))),
            new Action.StepDown(java.util.List.of("pg2")),
            Reason.MANUAL_FAILOVER_DEMOTING),
        // a requested switchover or failover, seen by the others once the lock is free
        row(
            "the candidate takes the lock without a race, lag or not",
            input().optime(10_000_000).local(replicaOf("pg0", 1)).failover("pg0", ME, null),
            new Action.AcquireLock(),
            Reason.MANUAL_FAILOVER_CANDIDATE),
        row(
            "the candidate took the lock: promote",
            input()
                .local(replicaOf("pg0", 1))
                .failover("pg0", ME, null)
                .cycle(CycleFacts.fresh().withLockAcquired(true)),
            new Action.Promote(),
            Reason.PROMOTED_BY_ACQUIRING_LOCK),
        row(
            "failover to me while paused",
            input().settings(paused()).local(replicaOf("pg0", 1)).failover(null, ME, null),
            new Action.AcquireLock(),
            Reason.MANUAL_FAILOVER_CANDIDATE),
        row(
            "a scheduled request not yet due does not name a candidate",
            input()
                .local(replicaOf("pg0", 300))
                .failover("pg0", ME, at(90_000))
                .cycle(CycleFacts.fresh().withPeers(peers(replicaPeer("pg2", 300)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "another member is the healthy candidate: stand aside although healthiest",
            input()
                .local(replicaOf("pg0", 300))
                .failover("pg0", "pg2", null)
                .cycle(CycleFacts.fresh().withPeers(peers(replicaPeer("pg2", 100)))),
            new Action.None(),
            Reason.WAITING_FOR_CANDIDATE),
        row(
            "the candidate is gone: race, ignoring the former leader's position",
            input()
                .local(replicaOf("pg0", 300))
                .failover("pg0", "pg2", null)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(PeerStatus.unreachable("pg2"), replicaPeer("pg0", 500)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "the former leader stands aside while another member can take over",
            input()
                .local(replicaOf("pg0", 500))
                .failover(ME, null, null)
                .cycle(CycleFacts.fresh().withPeers(peers(replicaPeer("pg2", 100)))),
            new Action.None(),
            Reason.FORMER_LEADER_STANDS_ASIDE),
        row(
            "the former leader races when nobody else can take over",
            input()
                .local(replicaOf("pg0", 500))
                .failover(ME, null, null)
                .cycle(CycleFacts.fresh().withPeers(peers(PeerStatus.unreachable("pg2")))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK));
  }

  private static HaInputs.Builder leaderWith() {
    return refreshedLeader(primary(100));
  }

  private static java.time.OffsetDateTime at(long offsetMillis) {
    return java.time.Instant.ofEpochMilli(HaInputs.EPOCH_MILLIS + offsetMillis)
        .atOffset(java.time.ZoneOffset.UTC);
  }

  static Arguments row(String name, HaInputs.Builder input, Action action, Reason reason) {
    return Arguments.of(name, input, action, reason);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(String name, HaInputs.Builder input, Action action, Reason reason) {
    Decision d = input.decide();
    assertThat(d.action()).as(name).isEqualTo(action);
    assertThat(d.reason()).as(name).isEqualTo(reason);
    assertThat(d.message()).doesNotContain("%s");
  }

  @org.junit.jupiter.api.Test
  void everyReasonIsReachedByTheTable() {
    var reached =
        table().map(a -> ((HaInputs.Builder) a.get()[1]).decide().reason()).distinct().toList();
    var notReached = Stream.of(Reason.values()).filter(r -> !reached.contains(r)).toList();
    assertThat(notReached).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void everyActionIsDecidedSomewhere() {
    java.util.List<Class<?>> decided =
        table()
            .<Class<?>>map(a -> ((HaInputs.Builder) a.get()[1]).decide().action().getClass())
            .distinct()
            .toList();
    assertThat(decided).containsExactlyInAnyOrder(Action.class.getPermittedSubclasses());
  }

  @org.junit.jupiter.api.Test
  void theWordingIsPatronis() {
    assertThat(refreshedLeader(primary(1)).decide().message())
        .isEqualTo("no action. I am (pg1), the leader with the lock");
    assertThat(input().leader("pg0").local(replicaOf("pg0", 1)).decide().message())
        .isEqualTo("no action. I am (pg1), a secondary, and following a leader (pg0)");
    assertThat(input().leader("pg0").local(inState(PostgresRunState.NO_DATA)).decide().message())
        .isEqualTo("trying to bootstrap from leader 'pg0'");
    assertThat(
            input()
                .local(replicaOf("pg0", 300))
                .cycle(CycleFacts.fresh().withPeers(peers()).withLockAcquired(true))
                .decide()
                .message())
        .isEqualTo("promoted self to leader by acquiring session lock");
    assertThat(input().leader("pg0").local(primary(1)).decide().message())
        .isEqualTo("demoting self because i do not have the lock and i was a leader");
  }

  @org.junit.jupiter.api.Test
  void aLeaderNeverStaysWritableWithoutProvingItHoldsTheLock() {
    // Whatever the cycle knows, a running primary that has not refreshed successfully this cycle
    // either refreshes, demotes or is paused: never "no action" as leader.
    for (Optional<Boolean> refreshed :
        java.util.List.of(Optional.<Boolean>empty(), Optional.of(false))) {
      CycleFacts facts =
          refreshed.map(r -> CycleFacts.fresh().withLockRefreshed(r)).orElse(CycleFacts.fresh());
      Decision d = input().leader(ME).local(primary(1)).cycle(facts).decide();
      assertThat(d.action())
          .isIn(new Action.RefreshLock(), new Action.Demote(DemoteMode.IMMEDIATE_NOLOCK));
    }
  }
}
