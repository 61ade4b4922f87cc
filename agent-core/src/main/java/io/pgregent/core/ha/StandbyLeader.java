package io.pgregent.core.ha;

/**
 * The lock holder of a standby cluster: it follows the remote primary named by {@code
 * standby_cluster} (streaming, or restoring from the archive) and never promotes. A writable
 * primary in a standby cluster is demoted to follow the remote primary, keeping the lock (the
 * cluster was demoted). Pure.
 */
final class StandbyLeader {

  private StandbyLeader() {}

  /** We hold the lock (refreshed this cycle) of a standby cluster, not paused. */
  static Decision holdingLock(HaInput in) {
    LocalState local = in.local();
    HaSettings s = in.settings();
    switch (local.run()) {
      case RUNNING:
        if (!local.inRecovery()) {
          return Decision.of(new Action.DemoteToStandbyLeader(), Reason.PRIMARY_IN_STANDBY_CLUSTER);
        }
        if (!followsRemote(in)) {
          return Decision.of(new Action.FollowRemote(), Reason.FOLLOWING_REMOTE_WITH_LOCK);
        }
        return Decision.of(new Action.None(), Reason.STANDBY_LEADER_WITH_LOCK, s.member());
      case NO_DATA:
        return Decision.of(new Action.ReleaseLock(), Reason.NO_DATA_RELEASING_LOCK);
      case STARTING:
        return Decision.of(new Action.None(), Reason.WAITING_FOR_POSTGRES);
      case STOPPED:
      case CRASHED:
      default:
        return Decision.of(new Action.FollowRemote(), Reason.STARTING_AS_STANDBY_LEADER);
    }
  }

  /** We just took the free lock of a standby cluster. */
  static Decision acquiredLock(HaInput in) {
    if (!in.local().inRecovery()) {
      return Decision.of(new Action.DemoteToStandbyLeader(), Reason.PRIMARY_IN_STANDBY_CLUSTER);
    }
    return Decision.of(new Action.FollowRemote(), Reason.STANDBY_LEADER_BY_ACQUIRING_LOCK);
  }

  /** Whether the local standby is configured for the remote primary as it is configured now. */
  static boolean followsRemote(HaInput in) {
    String source = in.settings().standbyCluster().source();
    return in.local().upstream().map(source::equals).orElse(false);
  }
}
