package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;

/**
 * The race for a free leader lock: whom to ask before taking it, whose answers count, what winning
 * or losing it means, and whether the old primary still runs on in failsafe mode. Pure.
 */
final class LeaderRace {

  private LeaderRace() {}

  /** What taking part in the race (its outcome {@code acquired}) leads to. */
  static Decision lockRaceOutcome(HaInput in, boolean acquired) {
    LocalState local = in.local();
    if (!acquired) {
      return Decision.of(new Action.None(), Reason.LOST_LOCK_RACE);
    }
    if (in.settings().inStandbyCluster()) {
      return StandbyLeader.acquiredLock(in);
    }
    return local.inRecovery()
        ? Decision.of(TimelineLineage.promotion(in), Reason.PROMOTED_BY_ACQUIRING_LOCK)
        : Decision.of(new Action.None(), Reason.ACQUIRED_LOCK);
  }

  /** Whether a primary in failsafe mode told us recently (still valid) that it is alive. */
  static boolean failsafeHeartbeatFresh(HaInput in) {
    long validNanos = in.settings().failsafeHeartbeatValidityMillis() * 1_000_000L;
    return in.memory().failsafeHeartbeatNanos().stream()
        .anyMatch(at -> in.nowNanos() - at < validNanos);
  }

  /**
   * In failsafe mode, whether this member keeps out of the leader race because it may have vouched
   * for a primary that still runs: a heartbeat accepted within its validity, or a restart within it
   * (see {@link #restartedWithinFailsafePromise}).
   */
  static boolean keepsFailsafePromise(HaInput in, ClusterView view) {
    return in.settings().failsafeMode()
        && (failsafeHeartbeatFresh(in) || restartedWithinFailsafePromise(in, view));
  }

  /**
   * A restarted agent has forgotten the heartbeats it accepted before, and the primary it vouched
   * for may run on them for their validity: so an agent started within it, named in the {@code
   * failsafe} key, keeps out of the race until every other member the key names has answered (in
   * this cycle's peer answers) that it runs no primary. A running primary vouched for nobody: it
   * refuses heartbeats.
   */
  static boolean restartedWithinFailsafePromise(HaInput in, ClusterView view) {
    long validNanos = in.settings().failsafeHeartbeatValidityMillis() * 1_000_000L;
    String me = in.settings().member();
    return in.settings().failsafeMode()
        && !in.local().isRunningPrimary()
        && view.failsafe().map(f -> f.members().containsKey(me)).orElse(false)
        && in.memory().startedNanos().stream().anyMatch(at -> in.nowNanos() - at < validNanos)
        && !in.cycle()
            .peers()
            .map(p -> FailoverEligibility.failsafeMembersAllStandbys(view, p, me))
            .orElse(false);
  }

  /**
   * Whom the leader race asks: the members of this view, and those of recent views (seen within a
   * ttl), because the old leader's member key vanishes with its lease while its PostgreSQL may
   * still run as a primary; in failsafe mode also every member the {@code failsafe} key names.
   */
  static java.util.Map<String, String> peersToAsk(HaInput in, ClusterView view) {
    HaSettings s = in.settings();
    java.util.Map<String, String> ask = new java.util.TreeMap<>();
    long keepNanos = s.ttlMillis() * 1_000_000L;
    in.memory()
        .membersSeen()
        .forEach(
            (name, seen) -> {
              if (in.nowNanos() - seen.atNanos() <= keepNanos) {
                ask.put(name, seen.apiUrl());
              }
            });
    if (s.failsafeMode()) {
      view.failsafe().ifPresent(f -> ask.putAll(f.members()));
    }
    view.members().values().forEach(m -> m.apiUrl().ifPresent(u -> ask.put(m.name(), u)));
    ask.remove(s.member());
    return ask;
  }

  /**
   * The answers that count in the race. A member known only from earlier views has lost its lease
   * and cannot take the lock: it stops the race if it still runs as a primary, but its WAL position
   * must not keep the race waiting for it.
   */
  static java.util.Map<String, PeerStatus> rivalsInTheStore(
      HaInput in, ClusterView view, java.util.Map<String, PeerStatus> answers) {
    java.util.Set<String> known = new java.util.HashSet<>(view.members().keySet());
    if (in.settings().failsafeMode()) {
      view.failsafe().ifPresent(f -> known.addAll(f.members().keySet()));
    }
    java.util.Map<String, PeerStatus> peers = new java.util.TreeMap<>();
    answers.forEach(
        (name, p) -> {
          if (known.contains(name) || p.primary()) {
            peers.put(name, p);
          }
        });
    return peers;
  }
}
