package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Requested switchovers and failovers (the store's {@code failover} key): what the leader and the
 * other members do about one. Pure.
 *
 * <p>The leader steps down only when a healthy candidate exists; the candidate then takes the free
 * lock without the leader race; every other member keeps out of the way while the candidate is
 * healthy. The former leader races again only if no other member could take over, so a request can
 * never leave the cluster without a leader.
 */
public final class ManualFailover {

  private ManualFailover() {}

  /** The request in force: present, not cleared, and due (unscheduled or its time has come). */
  static Optional<Failover> due(ClusterView view, long epochMillis) {
    return view.failover()
        .filter(f -> !f.isEmpty())
        .filter(f -> f.scheduledAt() == null || epochMillis >= millis(f));
  }

  // ---- the leader ----

  /**
   * What the leader with the lock and a running primary does about a request, or empty when there
   * is none.
   */
  static Optional<Decision> fromLeader(HaInput in, ClusterView view) {
    Optional<Failover> pending = view.failover().filter(f -> !f.isEmpty());
    if (pending.isEmpty()) {
      return Optional.empty();
    }
    Failover f = pending.get();
    HaSettings s = in.settings();
    String me = s.member();
    if (me.equals(f.candidate())) {
      return clear(Reason.FAILOVER_DONE_CLEANING_UP);
    }
    if (f.scheduledAt() != null) {
      long wait = millis(f) - in.epochMillis();
      if (wait > 0) {
        return Optional.of(
            Decision.of(
                new Action.None(),
                Reason.AWAITING_SCHEDULED_SWITCHOVER,
                f.scheduledAt().toString(),
                Long.toString((wait + 999) / 1000)));
      }
      if (-wait > s.loopWaitMillis() * 3 / 2) {
        return clear(Reason.STALE_FAILOVER);
      }
    }
    if (f.leader() != null && !f.leader().equals(me)) {
      return Optional.of(
          Decision.of(new Action.ClearFailover(), Reason.FAILOVER_LEADER_MISMATCH, f.leader(), me));
    }
    if (s.paused() && f.candidate() == null) {
      return clear(Reason.PAUSED_FAILOVER_NEEDS_CANDIDATE);
    }
    boolean syncOnly = f.leader() != null && FailoverEligibility.syncActive(view, s);
    if (syncOnly && f.candidate() != null && !isSyncStandby(view, f.candidate())) {
      // A switchover in synchronous mode may promote only a synchronous standby, scheduled or not
      // (a scheduled request skipped the REST API's check); a failover may promote any member.
      return Optional.of(
          Decision.of(
              new Action.ClearFailover(),
              Reason.SWITCHOVER_CANDIDATE_NOT_SYNC,
              f.candidate(),
              view.sync().map(k -> String.join(",", k.syncStandbys())).orElse("")));
    }
    if (in.cycle().peers().isEmpty()) {
      java.util.Map<String, String> ask = new java.util.TreeMap<>();
      view.members().values().stream()
          .filter(m -> !m.name().equals(me))
          .forEach(m -> m.apiUrl().ifPresent(u -> ask.put(m.name(), u)));
      return Optional.of(Decision.of(new Action.QueryPeers(ask), Reason.CHECKING_CANDIDATES));
    }
    List<String> healthy =
        in.cycle().peers().get().values().stream()
            .filter(p -> !p.name().equals(me))
            .filter(p -> f.candidate() == null || f.candidate().equals(p.name()))
            .filter(p -> !syncOnly || isSyncStandby(view, p.name()))
            .filter(p -> healthyForSwitchover(p, in.local(), s))
            .map(PeerStatus::name)
            .sorted()
            .toList();
    if (healthy.isEmpty()) {
      return clear(Reason.NO_HEALTHY_CANDIDATE);
    }
    return Optional.of(Decision.of(new Action.StepDown(healthy), Reason.MANUAL_FAILOVER_DEMOTING));
  }

  /**
   * A candidate the leader may hand over to: answering, a replica, allowed to promote, within
   * maximum_lag_on_failover of the leader and, with check_timeline, on its timeline.
   */
  static boolean healthyForSwitchover(PeerStatus p, LocalState leader, HaSettings s) {
    if (!p.reachable() || p.primary() || !p.eligible()) {
      return false;
    }
    if (leader.walPosition() - p.walPosition() > s.maximumLagOnFailover()) {
      return false;
    }
    return !s.checkTimeline() || p.timeline() >= leader.timeline();
  }

  // ---- no leader ----

  /**
   * Whether a due request names this member as the candidate: it then takes the lock without the
   * leader race (a manual failover bypasses the lag and timeline checks, not the promotion rule of
   * synchronous and quorum mode; the caller has checked that PostgreSQL runs).
   */
  static boolean iAmTheCandidate(HaInput in, ClusterView view) {
    String me = in.settings().member();
    return due(view, in.epochMillis())
        .filter(f -> me.equals(f.candidate()))
        // A request in synchronous mode, switchover or failover, never promotes a member outside
        // the sync key: it may lack commits the sync standbys acknowledged.
        .filter(f -> mayBePromoted(view, in.settings(), me))
        .isPresent();
  }

  /** Whether synchronous mode lets {@code member} be promoted: off, or the sync key names it. */
  private static boolean mayBePromoted(ClusterView view, HaSettings settings, String member) {
    return !FailoverEligibility.syncActive(view, settings)
        || FailoverEligibility.inSyncState(view, member);
  }

  private static boolean isSyncStandby(ClusterView view, String member) {
    return view.sync().map(k -> k.isSyncStandby(member)).orElse(false);
  }

  /**
   * With the peers' answers at hand, a decision that keeps this member out of the race because of a
   * request, or empty to race as usual (see {@link #rivals}).
   */
  static Optional<Decision> standAside(
      HaInput in, ClusterView view, Map<String, PeerStatus> peers) {
    Optional<Failover> due = due(view, in.epochMillis());
    if (due.isEmpty()) {
      return Optional.empty();
    }
    Failover f = due.get();
    String me = in.settings().member();
    if (f.candidate() != null && !f.candidate().equals(me)) {
      PeerStatus c = peers.get(f.candidate());
      // Only for a candidate that may be promoted: in synchronous mode one the sync key names
      // (waiting for another leaves nobody leading).
      if (c != null
          && c.reachable()
          && c.eligible()
          && mayBePromoted(view, in.settings(), f.candidate())) {
        return Optional.of(
            Decision.of(new Action.None(), Reason.WAITING_FOR_CANDIDATE, f.candidate()));
      }
    }
    if (me.equals(f.leader())) {
      // Only a member that may be promoted can take over: in synchronous mode, one the sync key
      // names (the others refuse to race, and standing aside for them leaves nobody leading).
      boolean someoneElse =
          peers.values().stream()
              .filter(p -> !p.name().equals(me) && !p.name().equals(f.candidate()))
              .filter(p -> mayBePromoted(view, in.settings(), p.name()))
              .anyMatch(p -> p.reachable() && p.eligible() && !p.primary());
      if (someoneElse) {
        return Optional.of(Decision.of(new Action.None(), Reason.FORMER_LEADER_STANDS_ASIDE));
      }
    }
    return Optional.empty();
  }

  /**
   * The members to compare ourselves with in the race: a former leader that stepped down is not.
   */
  static Collection<PeerStatus> rivals(
      HaInput in, ClusterView view, Map<String, PeerStatus> peers) {
    String me = in.settings().member();
    Optional<String> former = due(view, in.epochMillis()).map(Failover::leader);
    return peers.values().stream()
        .filter(p -> !p.name().equals(me))
        .filter(p -> former.map(l -> !l.equals(p.name())).orElse(true))
        .toList();
  }

  private static Optional<Decision> clear(Reason reason) {
    return Optional.of(Decision.of(new Action.ClearFailover(), reason));
  }

  private static long millis(Failover f) {
    Instant at = f.scheduledAt().toInstant();
    return at.toEpochMilli();
  }
}
