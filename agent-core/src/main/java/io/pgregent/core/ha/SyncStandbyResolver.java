package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.PriorityTags;
import io.pgregent.core.cluster.SyncState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The leader's next step towards the synchronous replication the configuration asks for. Pure.
 *
 * <p>Two places say who holds acknowledged commits: {@code synchronous_standby_names} (who must
 * confirm a commit) and the {@code sync} key (who may be promoted). One step changes one of them,
 * ordered so that at every instant the store names members of which at least one holds every
 * acknowledged commit:
 *
 * <ul>
 *   <li>growing: a standby goes into {@code synchronous_standby_names} first, and into the key only
 *       once PostgreSQL reports it synchronous and it has flushed past the primary's position at
 *       the time of the change (so it also holds the commits acknowledged before);
 *   <li>shrinking: a standby leaves the key first, then {@code synchronous_standby_names};
 *   <li>quorum ({@code ANY k (S)} and the key's voters {@code V} with {@code quorum q}): any {@code
 *       q + 1} voters must overlap any {@code k} members of {@code S}, so {@code q ≥ |S| − k} with
 *       {@code V ⊆ S}; {@code q} is raised before {@code S} grows and lowered only when every voter
 *       holds every earlier commit.
 * </ul>
 */
public final class SyncStandbyResolver {

  /**
   * Strict mode with no eligible standby: commits wait for any standby, as in Patroni ({@code *},
   * {@code ANY 1 (*)} in quorum mode). Safe for the {@code sync} key, which then names no standby:
   * only the leader, which holds every commit, may be promoted; a standby joins the key only once
   * it flushed past the position at the next change of the names.
   */
  static final String ANY_STANDBY = "*";

  private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"]|\"\")*)\"");

  private SyncStandbyResolver() {}

  /**
   * The next step of the leader holding the lock with a running primary, empty when synchronous
   * replication is as configured.
   */
  public static Optional<Decision> nextStep(HaInput in, ClusterView view) {
    String me = in.settings().member();
    SyncSettings sync = in.settings().sync();
    ReplicationStatus rep = in.local().replication();
    Optional<SyncState> key = view.sync();
    if (!sync.enabled()) {
      if (key.isPresent()) {
        return Optional.of(
            Decision.of(new Action.DeleteSyncState(key.get().version()), Reason.SYNC_DISABLED));
      }
      if (rep.synchronousStandbyNames().isPresent()) {
        return Optional.of(
            Decision.of(new Action.SetSyncStandbyNames(Optional.empty()), Reason.SYNC_DISABLED));
      }
      return Optional.empty();
    }
    long version = key.map(SyncState::version).orElse(0L);
    boolean mine = key.map(k -> me.equalsIgnoreCase(k.leader())).orElse(false);
    int quorum = key.map(k -> k.quorum() == null ? 0 : k.quorum()).orElse(0);
    if (!mine || (sync.mode() == SyncSettings.Mode.ON && quorum > 0)) {
      // Nobody but us may be promoted until standbys are confirmed again.
      return write(me, List.of(), 0, version, Reason.SYNC_STATE_CLAIMED, me);
    }
    List<StandbyLink> eligible = eligible(view, in.local(), sync, me, key.get().syncStandbys());
    return sync.mode() == SyncSettings.Mode.QUORUM
        ? quorumStep(me, key.get(), rep, sync, eligible)
        : syncStep(me, key.get(), rep, sync, eligible);
  }

  /**
   * Before a promotion in synchronous mode: claim the key with no standby (nobody else may be
   * promoted) and put the initial {@code synchronous_standby_names} in force, so that no commit is
   * acknowledged under the old leader's state. Any other decision passes unchanged.
   */
  public static Decision beforePromotion(HaInput in, Decision decision) {
    SyncSettings sync = in.settings().sync();
    if (!(decision.action() instanceof Action.Promote) || !sync.enabled() || in.view().isEmpty()) {
      return decision;
    }
    String me = in.settings().member();
    Optional<SyncState> key = in.view().get().sync();
    boolean claimed =
        key.map(
                k ->
                    me.equalsIgnoreCase(k.leader())
                        && k.syncStandbys().isEmpty()
                        && (k.quorum() == null || k.quorum() == 0))
            .orElse(false);
    if (!claimed) {
      return Decision.of(
          new Action.WriteSyncState(
              new SyncState(me, List.of(), 0, key.map(SyncState::version).orElse(0L))),
          Reason.SYNC_BEFORE_PROMOTE);
    }
    String initial = namesFor(sync, List.of(), 0);
    if (!in.local().replication().synchronousStandbyNames().equals(Optional.of(initial))) {
      return Decision.of(
          new Action.SetSyncStandbyNames(Optional.of(initial)), Reason.SYNC_BEFORE_PROMOTE);
    }
    return decision;
  }

  // ---- synchronous_mode: on ----

  private static Optional<Decision> syncStep(
      String me,
      SyncState key,
      ReplicationStatus rep,
      SyncSettings sync,
      List<StandbyLink> eligible) {
    List<String> current = key.syncStandbys();
    List<String> wanted =
        eligible.stream().limit(sync.nodeCount()).map(StandbyLink::name).sorted().toList();
    List<String> kept = current.stream().filter(n -> contains(wanted, n)).toList();
    if (kept.size() < current.size()) {
      List<String> removed = current.stream().filter(n -> !contains(wanted, n)).toList();
      return write(
          me, kept, 0, key.version(), Reason.SYNC_STANDBYS_REMOVED, String.join(",", removed));
    }
    String names = namesFor(sync, wanted, wanted.size());
    if (!rep.synchronousStandbyNames().equals(Optional.of(names))) {
      return setNames(names);
    }
    List<String> added =
        confirmed(rep, Set.of("sync")).stream()
            .filter(n -> contains(wanted, n) && !contains(current, n))
            .toList();
    if (added.isEmpty()) {
      return Optional.empty();
    }
    List<String> next = new ArrayList<>(current);
    next.addAll(added);
    return write(
        me, sorted(next), 0, key.version(), Reason.SYNC_STANDBYS_ASSIGNED, String.join(",", added));
  }

  // ---- synchronous_mode: quorum ----

  private static Optional<Decision> quorumStep(
      String me,
      SyncState key,
      ReplicationStatus rep,
      SyncSettings sync,
      List<StandbyLink> eligible) {
    List<String> voters = key.syncStandbys();
    int quorum = key.quorum() == null ? 0 : key.quorum();
    List<String> active = sorted(eligible.stream().map(StandbyLink::name).toList());
    int wantedCount = Math.min(sync.nodeCount(), active.size());
    String names = namesFor(sync, active, wantedCount);
    // Voters no longer eligible leave the key first, the quorum kept.
    List<String> keptVoters = voters.stream().filter(n -> contains(active, n)).toList();
    if (keptVoters.size() < voters.size()) {
      List<String> removed = voters.stream().filter(n -> !contains(active, n)).toList();
      return write(
          me,
          keptVoters,
          quorum,
          key.version(),
          Reason.SYNC_STANDBYS_REMOVED,
          String.join(",", removed));
    }
    if (!rep.synchronousStandbyNames().equals(Optional.of(names))) {
      int needed = active.size() - wantedCount;
      if (!voters.isEmpty() && quorum < needed) {
        return write(
            me, voters, needed, key.version(), Reason.SYNC_QUORUM_RAISED, Integer.toString(needed));
      }
      return setNames(names);
    }
    List<String> confirmed =
        confirmed(rep, Set.of("quorum", "sync")).stream().filter(n -> contains(active, n)).toList();
    List<String> nextVoters = new ArrayList<>(voters);
    confirmed.stream().filter(n -> !contains(voters, n)).forEach(nextVoters::add);
    nextVoters = sorted(nextVoters);
    int floor = active.size() - wantedCount;
    boolean allConfirmed = nextVoters.stream().allMatch(n -> contains(confirmed, n));
    int nextQuorum = allConfirmed ? floor : Math.max(quorum, floor);
    if (nextVoters.isEmpty()) {
      nextQuorum = 0;
    }
    if (nextVoters.equals(voters) && nextQuorum == quorum) {
      return Optional.empty();
    }
    return write(
        me,
        nextVoters,
        nextQuorum,
        key.version(),
        Reason.SYNC_QUORUM_UPDATED,
        Integer.toString(nextQuorum),
        String.join(",", nextVoters));
  }

  // ---- helpers ----

  /**
   * Standbys that may be made synchronous: streaming, known members, not tagged {@code nosync},
   * within {@code maximum_lag_on_syncnode}; members without {@code nofailover} first, then by
   * {@code sync_priority}.
   */
  static List<StandbyLink> eligible(
      ClusterView view, LocalState local, SyncSettings sync, String me, List<String> current) {
    List<StandbyLink> out = new ArrayList<>();
    for (StandbyLink l : local.replication().standbys()) {
      if (!l.streaming() || l.name().equalsIgnoreCase(me)) {
        continue;
      }
      Optional<Member> m = member(view, l.name());
      if (m.isEmpty()
          || PriorityTags.excluded(
              m.get().tags(), PriorityTags.NOSYNC, PriorityTags.SYNC_PRIORITY)) {
        continue;
      }
      // A standby that flushes but does not replay holds up every commit under remote_apply.
      long lag = local.walPosition() - l.commitLsn();
      if (sync.maximumLagOnSyncnode() >= 0 && lag > sync.maximumLagOnSyncnode()) {
        continue;
      }
      out.add(l);
    }
    // Prefer standbys that may be promoted, then the higher sync_priority, then the current ones
    // (no churn), then the freshest.
    out.sort(
        Comparator.comparing(
                (StandbyLink l) ->
                    PriorityTags.excluded(
                        member(view, l.name()).get().tags(),
                        PriorityTags.NOFAILOVER,
                        PriorityTags.FAILOVER_PRIORITY))
            .thenComparing(
                (StandbyLink l) ->
                    -PriorityTags.priority(
                        member(view, l.name()).get().tags(),
                        PriorityTags.NOSYNC,
                        PriorityTags.SYNC_PRIORITY))
            .thenComparing(l -> !contains(current, l.name()))
            .thenComparing(Comparator.comparingLong(StandbyLink::flushLsn).reversed())
            .thenComparing(StandbyLink::name));
    return out;
  }

  /** Members PostgreSQL reports in {@code states} that flushed past the last change. */
  private static List<String> confirmed(ReplicationStatus rep, Set<String> states) {
    Set<String> listed = namesIn(rep.synchronousStandbyNames().orElse(""));
    return rep.standbys().stream()
        .filter(l -> l.streaming() && states.contains(l.syncState()))
        .filter(l -> l.flushLsn() >= rep.confirmFromLsn())
        .filter(l -> listed.contains(l.name().toLowerCase(Locale.ROOT)))
        .map(StandbyLink::name)
        .toList();
  }

  /** The {@code synchronous_standby_names} for {@code names}, {@code count} of them required. */
  static String namesFor(SyncSettings sync, List<String> names, int count) {
    if (names.isEmpty()) {
      if (!sync.strict()) {
        return "";
      }
      return sync.mode() == SyncSettings.Mode.QUORUM ? "ANY 1 (" + ANY_STANDBY + ")" : ANY_STANDBY;
    }
    String list = String.join(",", names.stream().map(SyncStandbyResolver::quote).toList());
    if (sync.mode() == SyncSettings.Mode.QUORUM) {
      return "ANY " + count + " (" + list + ")";
    }
    return names.size() == 1 ? list : count + " (" + list + ")";
  }

  /** The member names a {@code synchronous_standby_names} written by {@link #namesFor} lists. */
  static Set<String> namesIn(String value) {
    Set<String> names = new TreeSet<>();
    Matcher m = QUOTED.matcher(value);
    while (m.find()) {
      names.add(m.group(1).replace("\"\"", "\"").toLowerCase(Locale.ROOT));
    }
    return names;
  }

  static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static Optional<Decision> write(
      String me, List<String> standbys, int quorum, long version, Reason reason, String... args) {
    return Optional.of(
        Decision.of(
            new Action.WriteSyncState(new SyncState(me, standbys, quorum, version)), reason, args));
  }

  private static Optional<Member> member(ClusterView view, String name) {
    return view.members().values().stream()
        .filter(m -> m.name().equalsIgnoreCase(name))
        .findFirst();
  }

  private static boolean contains(List<String> names, String name) {
    return names.stream().anyMatch(n -> n.equalsIgnoreCase(name));
  }

  private static List<String> sorted(List<String> names) {
    return names.stream().sorted().toList();
  }

  /** {@code synchronous_standby_names} to set on the primary. */
  private static Optional<Decision> setNames(String names) {
    return Optional.of(
        Decision.of(
            new Action.SetSyncStandbyNames(Optional.of(names)), Reason.SYNC_STANDBY_NAMES, names));
  }
}
