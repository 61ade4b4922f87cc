package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.TimelineHistory;
import java.util.Optional;

/** May this member join the leader race at all? Pure. */
public final class FailoverEligibility {

  private FailoverEligibility() {}

  /**
   * The reason this member must not race, or empty if it may.
   *
   * @param view the cluster, which has no leader
   * @param local the local PostgreSQL, running
   * @param settings this member's settings
   */
  public static Optional<Decision> rejection(
      ClusterView view, LocalState local, HaSettings settings) {
    if (!settings.mayPromote()) {
      return Optional.of(Decision.of(new Action.None(), Reason.NOT_ALLOWED_TO_PROMOTE));
    }
    long clusterTimeline = clusterTimeline(view);
    boolean staleRisk = local.isRunningPrimary() || settings.checkTimeline();
    if (staleRisk && clusterTimeline > 0 && local.timeline() < clusterTimeline) {
      return Optional.of(
          Decision.of(
              new Action.None(),
              Reason.TIMELINE_BEHIND,
              Long.toString(local.timeline()),
              Long.toString(clusterTimeline)));
    }
    if (!local.isRunningPrimary()) {
      long lastLeaderPosition = view.status().map(s -> s.optime()).orElse(0L);
      if (lastLeaderPosition - local.walPosition() > settings.maximumLagOnFailover()) {
        return Optional.of(Decision.of(new Action.None(), Reason.LAG_TOO_HIGH));
      }
    }
    return Optional.empty();
  }

  /** The cluster's latest timeline as the history key records it, 0 when unknown. */
  public static long clusterTimeline(ClusterView view) {
    return view.history()
        .flatMap(h -> h.entries().stream().map(TimelineHistory.Entry::timeline).max(Long::compare))
        .map(t -> t + 1)
        .orElse(0L);
  }
}
