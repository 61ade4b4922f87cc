package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Lsn;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.TimelineHistory;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * How this member's timeline relates to the cluster's history and the leader's: whether the history
 * records a timeline switch, and whether a standby's WAL went where the leader's lineage never was
 * (it then has to be rewound or re-cloned before it can follow). Two members on the same timeline
 * number are of one lineage only if their timeline history files agree on where each earlier
 * timeline ended; the history key is the leader's file. Pure.
 */
final class TimelineLineage {

  private TimelineLineage() {}

  /**
   * Whether {@code history} lacks the switch to {@code timeline} of {@code leader}: members judge
   * stale primaries and diverged standbys by it. A timeline numbered past ones the cluster
   * abandoned forks off an older one, so the switch is also found as the newest entry, made by the
   * leader.
   */
  static boolean historyLacksTimeline(ClusterView view, long timeline, String leader) {
    if (timeline <= 1) {
      return false;
    }
    return view.history()
        .map(
            h ->
                h.entries().stream().noneMatch(e -> e.timeline() == timeline - 1)
                    && !lastSwitchBy(h, leader, timeline))
        .orElse(true);
  }

  /**
   * The first switch of our own lineage (the timeline history file of our timeline) the history key
   * does not record, by the timeline it left: a promotion made while the store was unreachable.
   * Standbys that went past that switch point on the old timeline find out only from the key.
   */
  static Optional<Long> historyLacksSwitch(ClusterView view, LocalState local) {
    if (local.lineage().isEmpty()) {
      return Optional.empty();
    }
    Set<Long> recorded =
        view.history()
            .map(h -> h.entries().stream().map(TimelineHistory.Entry::timeline))
            .orElse(Stream.empty())
            .collect(Collectors.toSet());
    return local.lineage().stream()
        .map(TimelineHistory.Entry::timeline)
        .filter(t -> !recorded.contains(t))
        .findFirst();
  }

  /**
   * Whether the newest switch {@code history} records is {@code leader}'s, into {@code timeline}.
   */
  private static boolean lastSwitchBy(TimelineHistory history, String leader, long timeline) {
    List<TimelineHistory.Entry> entries = history.entries();
    if (entries.isEmpty()) {
      return false;
    }
    TimelineHistory.Entry last = entries.get(entries.size() - 1);
    return leader.equals(last.newLeader()) && last.timeline() < timeline;
  }

  /**
   * Where the leader's timeline forked off ours, if this standby's WAL went past it: it can then
   * never stream from the leader (the cluster's history records each switch point). Empty while it
   * is behind the switch point, or on the leader's timeline.
   */
  static Optional<Long> divergedFrom(ClusterView view, String leader, LocalState local) {
    if (!local.isRunningReplica() || local.timeline() <= 0) {
      return Optional.empty();
    }
    long leaderTimeline = leaderTimeline(view, leader);
    if (leaderTimeline <= local.timeline()) {
      return Optional.empty();
    }
    return view.history()
        .flatMap(
            h ->
                h.entries().stream()
                    .filter(e -> e.timeline() == local.timeline())
                    .map(TimelineHistory.Entry::switchLsn)
                    .findFirst())
        .filter(switchLsn -> local.walPosition() > switchLsn);
  }

  /**
   * Whether this standby's timeline is missing from the leader's lineage, as the history records it
   * once the leader wrote its own switch: the number was used by a primary the leader never
   * descended from (abandoned, or taken twice), so our WAL on it can never stream from the leader.
   */
  static boolean onAbandonedTimeline(ClusterView view, String leader, LocalState local) {
    if (!local.isRunningReplica() || local.timeline() <= 1) {
      return false;
    }
    long leaderTimeline = leaderTimeline(view, leader);
    if (leaderTimeline <= local.timeline()) {
      return false;
    }
    return view.history()
        .filter(h -> lastSwitchBy(h, leader, leaderTimeline))
        .map(TimelineHistory::entries)
        // A history cut short (max_timelines_history) may no longer reach our timeline.
        .filter(e -> e.stream().anyMatch(x -> x.timeline() < local.timeline()))
        .map(e -> e.stream().noneMatch(x -> x.timeline() == local.timeline()))
        .orElse(false);
  }

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
   * leader. A standby on a timeline past the leader's is judged only by a key the leader wrote into
   * the timeline its member key names: right after a promotion both keys may still describe the one
   * before.
   */
  static Optional<Parting> partingFromLeader(ClusterView view, String leader, LocalState local) {
    if (!local.isRunningReplica() || local.streaming()) {
      return Optional.empty();
    }
    long leaderTimeline = leaderTimeline(view, leader);
    if (leaderTimeline < local.timeline()
        && !view.history().map(h -> lastSwitchBy(h, leader, leaderTimeline)).orElse(false)) {
      return Optional.empty();
    }
    return partingFromHistory(view, local);
  }

  /**
   * Where our timeline history left the leader's timeline, if the leader has written past that
   * point on it: a standby on a timeline past the leader's then never streams from it (a fenced
   * primary that came back and promoted numbers its timeline from its own history files, so a
   * number may be taken twice). A leader's member key may still name the timeline it has just left,
   * but at a position no further than where it left it, so only WAL beyond our switch point tells;
   * the key's switch points may not (both lineages may leave the timeline before at one point).
   * {@code -1} when our history never passed the leader's timeline at all.
   */
  static Optional<Long> pastLeaderTimeline(ClusterView view, String leader, LocalState local) {
    if (!local.isRunningReplica() || local.streaming() || local.lineage().isEmpty()) {
      return Optional.empty();
    }
    Optional<Member> primary =
        view.member(leader).filter(m -> m.role().map("primary"::equals).orElse(false));
    long leaderTimeline = primary.flatMap(Member::timeline).orElse(0L);
    long leaderPosition = primary.flatMap(Member::xlogLocation).orElse(0L);
    if (leaderTimeline <= 0 || leaderTimeline >= local.timeline()) {
      return Optional.empty();
    }
    Optional<Long> left =
        local.lineage().stream()
            .filter(e -> e.timeline() == leaderTimeline)
            .map(TimelineHistory.Entry::switchLsn)
            .findFirst();
    if (left.isEmpty()) {
      return Optional.of(-1L);
    }
    return left.filter(switchLsn -> leaderPosition > switchLsn);
  }

  /** Promote, numbering the new timeline past every one the cluster's keys know of. */
  static Action.Promote promotion(HaInput in) {
    return new Action.Promote(in.view().map(v -> takenPast(v, in.local().timeline())).orElse(0L));
  }

  /**
   * The highest timeline number past {@code ours} that the cluster's keys know of, or 0 when none
   * is: a promotion here has to number its timeline past it. PostgreSQL takes the first number
   * after its own timeline that has no history file, and a member that never received the files of
   * timelines another member made would take one of their numbers again. The history key names
   * every timeline it records a switch out of, and the one after its last switch is at least one
   * more; members' keys name their timelines; the {@code regent-timeline} key names the highest
   * number a promotion took, recorded before it ran.
   */
  static long takenPast(ClusterView view, long ours) {
    long taken =
        view.history()
            .map(h -> h.entries().stream().mapToLong(e -> e.timeline() + 1).max().orElse(0))
            .orElse(0L);
    taken = Math.max(taken, view.takenTimeline().map(t -> t.timeline()).orElse(0L));
    for (var m : view.members().values()) {
      taken = Math.max(taken, m.timeline().orElse(0L));
    }
    return taken > ours ? taken : 0;
  }

  /** The timeline the leader's member key names, 0 when it names none. */
  static long leaderTimeline(ClusterView view, String leader) {
    return view.member(leader).flatMap(Member::timeline).orElse(0L);
  }

  /** An LSN as PostgreSQL writes it ({@code 0/3000060}). */
  static String lsn(long value) {
    return Lsn.format(value);
  }
}
