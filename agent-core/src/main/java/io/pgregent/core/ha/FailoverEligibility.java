package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TimelineHistory;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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
      ClusterView view,
      LocalState local,
      HaSettings settings,
      Optional<Map<String, PeerStatus>> peers) {
    if (!settings.mayPromote()) {
      return Optional.of(Decision.of(new Action.None(), Reason.NOT_ALLOWED_TO_PROMOTE));
    }
    if (outsideFailsafeTopology(view, local, settings)
        && !peers.map(p -> failsafeMembersAllStandbys(view, p, settings.member())).orElse(false)) {
      return Optional.of(Decision.of(new Action.None(), Reason.NOT_IN_FAILSAFE_TOPOLOGY));
    }
    if (syncActive(view, settings) && !inSyncState(view, settings.member())) {
      return Optional.of(Decision.of(new Action.None(), Reason.NOT_SYNC_STANDBY));
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

  /**
   * In failsafe mode, a member the {@code failsafe} key does not name, and which runs no primary,
   * may race only once every member the key names has answered that it runs no primary.
   */
  public static boolean outsideFailsafeTopology(
      ClusterView view, LocalState local, HaSettings settings) {
    return settings.failsafeMode()
        && !local.isRunningPrimary()
        && !inFailsafeTopology(view, settings);
  }

  /**
   * Whether every member the {@code failsafe} key names (but {@code me}) answered, and none runs a
   * primary: then no primary runs on in failsafe mode counting on the members it asked. A member
   * the key does not name may then race (the restriction to the named members would only keep the
   * cluster leaderless: the key may name a leader alone, written while the others' member keys had
   * lapsed, which the {@code sync} key then rules out), and so may a restarted one it names.
   */
  static boolean failsafeMembersAllStandbys(
      ClusterView view, Map<String, PeerStatus> peers, String me) {
    return view.failsafe()
        .map(
            f ->
                f.members().keySet().stream()
                    .filter(name -> !name.equals(me))
                    .allMatch(
                        name -> {
                          PeerStatus p = peers.get(name);
                          return p != null && p.reachable() && !p.primary();
                        }))
        .orElse(false);
  }

  /**
   * Whether the {@code failsafe} key names this member, or names nobody (absent or empty: no
   * failsafe topology to respect). A member the last leader did not know was never asked to vouch
   * for it: if that leader still runs in failsafe mode, only the members it asked keep out of the
   * race.
   */
  static boolean inFailsafeTopology(ClusterView view, HaSettings settings) {
    return view.failsafe()
        .map(f -> f.members().isEmpty() || f.members().containsKey(settings.member()))
        .orElse(true);
  }

  /**
   * Synchronous mode is in force: configured, and a leader has published the {@code sync} key.
   * Until then nobody was promised synchronous commits, and the usual race applies.
   */
  public static boolean syncActive(ClusterView view, HaSettings settings) {
    return settings.sync().enabled()
        && view.sync().map(k -> k.leader() != null && !k.leader().isBlank()).orElse(false);
  }

  /** Whether the {@code sync} key names {@code member} as its leader or as a standby/voter. */
  public static boolean inSyncState(ClusterView view, String member) {
    return view.sync()
        .map(k -> member.equalsIgnoreCase(k.leader()) || k.isSyncStandby(member))
        .orElse(false);
  }

  /**
   * The peers to compare WAL positions with. In synchronous mode only those that may be promoted
   * (listed in the {@code sync} key) compete; a running primary anywhere still stops the race.
   */
  public static List<PeerStatus> rivals(
      ClusterView view, HaSettings settings, Collection<PeerStatus> peers) {
    boolean sync = syncActive(view, settings);
    return peers.stream()
        .filter(p -> !p.name().equals(settings.member()))
        .filter(p -> !sync || p.primary() || inSyncState(view, p.name()))
        .toList();
  }

  /**
   * In quorum mode a candidate must prove it holds every acknowledged commit: with the {@code sync}
   * key's voters {@code V} and {@code quorum q}, any {@code q + 1} voters include one that
   * confirmed each commit, so the candidate needs {@code q + 1} voters (itself included) at or
   * behind its own WAL position. The last leader holds every commit it acknowledged.
   */
  public static Optional<Decision> quorumRejection(
      ClusterView view, HaSettings settings, long myWalPosition, Collection<PeerStatus> peers) {
    if (settings.sync().mode() != SyncSettings.Mode.QUORUM || !syncActive(view, settings)) {
      return Optional.empty();
    }
    SyncState key = view.sync().get();
    String me = settings.member();
    if (me.equalsIgnoreCase(key.leader())) {
      return Optional.empty();
    }
    // The last primary holds every acknowledged commit: a member at or past its position, seen
    // now as a replica, holds them all too (after a clean switchover stop, say).
    boolean atTheLastPrimary =
        peers.stream()
            .filter(p -> p.name().equalsIgnoreCase(key.leader()))
            .anyMatch(
                p ->
                    p.reachable()
                        && !p.primary()
                        && p.walPosition() > 0
                        && p.walPosition() <= myWalPosition);
    if (atTheLastPrimary) {
      return Optional.empty();
    }
    int quorum = key.quorum() == null ? 0 : key.quorum();
    long votes =
        (key.isSyncStandby(me) ? 1 : 0)
            + peers.stream()
                .filter(p -> !p.name().equalsIgnoreCase(me) && key.isSyncStandby(p.name()))
                .filter(p -> p.reachable() && !p.primary())
                .filter(p -> p.walPosition() > 0 && p.walPosition() <= myWalPosition)
                .count();
    if (votes < quorum + 1L) {
      return Optional.of(
          Decision.of(
              new Action.None(),
              Reason.QUORUM_NOT_REACHED,
              Integer.toString(quorum + 1),
              Long.toString(votes)));
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
