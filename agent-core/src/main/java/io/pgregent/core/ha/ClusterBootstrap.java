package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import java.util.Optional;

/**
 * A member with an empty data directory and no leader to clone from: it races to bootstrap the
 * cluster, restores one from a backup, or waits for the member that bootstraps it. Pure.
 */
final class ClusterBootstrap {

  private ClusterBootstrap() {}

  /** The decision of a member with no data and no leader. */
  static Decision emptyDataDirectory(HaInput in, ClusterView view) {
    if (in.memory().bootstrapping()) {
      return bootstrap(in);
    }
    if (view.initialize().isPresent()) {
      // A cluster that exists but has no leader: a restore from backup needs none. Not while the
      // cluster itself is still being bootstrapped (initialize without a system identifier).
      if (in.settings().cloneWithoutLeader() && view.initialize().get().completed().isPresent()) {
        return Decision.of(new Action.CloneWithoutLeader(), Reason.CLONING_WITHOUT_LEADER);
      }
      return waitingForBootstrap(in);
    }
    if (!in.settings().mayPromote()) {
      return waitingForBootstrap(in);
    }
    Optional<Boolean> won = in.cycle().initializeWon();
    if (won.isEmpty()) {
      return Decision.of(new Action.RaceInitialize(), Reason.TRYING_TO_BOOTSTRAP);
    }
    return won.get() ? bootstrap(in) : Decision.of(new Action.None(), Reason.INITIALIZE_RACE_LOST);
  }

  /** A standby cluster's first member clones the remote primary instead of running initdb. */
  private static Decision bootstrap(HaInput in) {
    return in.settings().inStandbyCluster()
        ? Decision.of(new Action.BootstrapStandbyLeader(), Reason.BOOTSTRAPPING_STANDBY_LEADER)
        : Decision.of(new Action.Bootstrap(), Reason.BOOTSTRAPPING);
  }

  private static Decision waitingForBootstrap(HaInput in) {
    return Decision.of(
        new Action.None(),
        in.settings().inStandbyCluster()
            ? Reason.WAITING_FOR_STANDBY_LEADER_BOOTSTRAP
            : Reason.WAITING_FOR_BOOTSTRAP);
  }
}
