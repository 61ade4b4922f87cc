package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.TimelineHistory;
import java.util.List;
import java.util.Optional;

/**
 * Lineage by switch points: two members on the same timeline number are of one lineage only if
 * their timeline history files agree on where each earlier timeline ended. The cluster's {@code
 * history} key is the leader's file.
 */
final class Lineage {

  private Lineage() {}

  /** A timeline that ended at {@code local} in our history file and elsewhere in the key's. */
  record Parting(long timeline, long local, long inHistory) {}

  /** The first timeline our history file and the cluster's history key disagree on. */
  static Optional<Parting> partingFromHistory(ClusterView view, LocalState local) {
    if (local.lineage().isEmpty() || view.history().isEmpty()) {
      return Optional.empty();
    }
    List<TimelineHistory.Entry> key = view.history().get().entries();
    for (TimelineHistory.Entry ours : local.lineage()) {
      for (TimelineHistory.Entry theirs : key) {
        if (theirs.timeline() == ours.timeline() && theirs.switchLsn() != ours.switchLsn()) {
          return Optional.of(new Parting(ours.timeline(), ours.switchLsn(), theirs.switchLsn()));
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Where a standby that does not stream parted from the leader's lineage, as the history key (the
   * leader's timeline history file) records it: a timeline number both used, begun at other points,
   * so nothing but the switch points tells them apart, and our WAL can never stream from the
   * leader.
   */
  static Optional<Parting> partingFromLeader(ClusterView view, String leader, LocalState local) {
    if (!local.isRunningReplica() || local.streaming()) {
      return Optional.empty();
    }
    long leaderTimeline = view.member(leader).flatMap(m -> m.timeline()).orElse(0L);
    if (leaderTimeline < local.timeline()) {
      return Optional.empty();
    }
    return partingFromHistory(view, local);
  }
}
