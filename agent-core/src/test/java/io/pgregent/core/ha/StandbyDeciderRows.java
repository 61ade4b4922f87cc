package io.pgregent.core.ha;

import static io.pgregent.core.ha.HaDeciderTests.row;
import static io.pgregent.core.ha.HaInputs.ME;
import static io.pgregent.core.ha.HaInputs.inState;
import static io.pgregent.core.ha.HaInputs.input;
import static io.pgregent.core.ha.HaInputs.peers;
import static io.pgregent.core.ha.HaInputs.primary;
import static io.pgregent.core.ha.HaInputs.refreshed;
import static io.pgregent.core.ha.HaInputs.refreshedLeader;
import static io.pgregent.core.ha.HaInputs.replicaOf;
import static io.pgregent.core.ha.HaInputs.replicaPeer;
import static io.pgregent.core.ha.HaInputs.settings;
import static io.pgregent.core.ha.HaInputs.stoppedPrimary;
import static io.pgregent.core.ha.HaInputs.stoppedStandby;

import io.pgregent.core.config.StandbyCluster;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Rows of the decision table for a standby cluster: its leader follows a remote primary. */
final class StandbyDeciderRows {

  static final StandbyCluster REMOTE =
      new StandbyCluster(
          List.of("10.0.0.1", "10.0.0.2"),
          OptionalInt.of(5433),
          Optional.of("pm_1"),
          List.of(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());

  private StandbyDeciderRows() {}

  static HaSettings standby() {
    return settings(false, false, 1, false, false).withStandbyCluster(REMOTE);
  }

  static LocalState followingRemote() {
    return replicaOf(REMOTE.source(), 100);
  }

  /** This member holds the lock, refreshed this cycle, in a standby cluster. */
  private static HaInputs.Builder standbyLeader(LocalState local) {
    return refreshedLeader(local).settings(standby());
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        row(
            "standby cluster: the member that wins initialize clones the remote primary",
            input()
                .uninitialized()
                .local(inState(PostgresRunState.NO_DATA))
                .settings(standby())
                .cycle(CycleFacts.fresh().withInitializeWon(true)),
            new Action.BootstrapStandbyLeader(),
            Reason.BOOTSTRAPPING_STANDBY_LEADER),
        row(
            "standby cluster: without a standby leader, an empty member waits for its bootstrap",
            input().local(inState(PostgresRunState.NO_DATA)).settings(standby()),
            new Action.None(),
            Reason.WAITING_FOR_STANDBY_LEADER_BOOTSTRAP),
        row(
            "standby leader with the lock keeps following the remote primary",
            standbyLeader(followingRemote()),
            new Action.None(),
            Reason.STANDBY_LEADER_WITH_LOCK),
        row(
            "standby leader never promotes: it follows the remote primary instead",
            standbyLeader(replicaOf("pg0", 100)),
            new Action.FollowRemote(),
            Reason.FOLLOWING_REMOTE_WITH_LOCK),
        row(
            "standby leader follows a changed standby_cluster (new host, archive only)",
            standbyLeader(replicaOf("standby_cluster:old:5432////", 100)),
            new Action.FollowRemote(),
            Reason.FOLLOWING_REMOTE_WITH_LOCK),
        row(
            "standby_cluster added to a running primary: demote to standby leader, keep the lock",
            standbyLeader(primary(100)),
            new Action.DemoteToStandbyLeader(),
            Reason.PRIMARY_IN_STANDBY_CLUSTER),
        row(
            "standby leader whose PostgreSQL is down starts it following the remote primary",
            standbyLeader(stoppedStandby()),
            new Action.FollowRemote(),
            Reason.STARTING_AS_STANDBY_LEADER),
        row(
            "standby leader whose data directory is gone hands the lock on",
            standbyLeader(inState(PostgresRunState.NO_DATA)),
            new Action.ReleaseLock(),
            Reason.NO_DATA_RELEASING_LOCK),
        row(
            "failover in a standby cluster: the winner becomes the standby leader, not a primary",
            input()
                .local(replicaOf("pg0", 100))
                .settings(standby())
                .cycle(CycleFacts.fresh().withLockAcquired(true)),
            new Action.FollowRemote(),
            Reason.STANDBY_LEADER_BY_ACQUIRING_LOCK),
        row(
            "an existing primary joining a standby cluster the store does not know starts read-only",
            input().uninitialized().local(stoppedPrimary()).settings(standby()),
            new Action.StartPostgres(true, null),
            Reason.STARTING_AS_SECONDARY),
        row(
            "a replica in a standby cluster follows the standby leader",
            input().leader("pg0").local(replicaOf("pg0", 100)).settings(standby()),
            new Action.None(),
            Reason.FOLLOWING_STANDBY_LEADER),
        row(
            "standby_cluster removed: the standby leader is promoted",
            refreshedLeader(followingRemote()).settings(settings(false, false, 1, false, false)),
            new Action.Promote(),
            Reason.PROMOTED_BECAUSE_HAD_LOCK),
        row(
            "switchover inside a standby cluster: the standby leader steps down",
            standbyLeader(followingRemote())
                .failover(ME, "pg2", null)
                .cycle(refreshed().withPeers(peers(replicaPeer("pg2", 100)))),
            new Action.StepDown(List.of("pg2")),
            Reason.MANUAL_FAILOVER_DEMOTING));
  }
}
