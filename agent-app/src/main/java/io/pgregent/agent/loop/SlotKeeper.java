package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.slots.LocalSlot;
import io.pgregent.core.slots.SlotMatcher;
import io.pgregent.core.slots.SlotPlan;
import io.pgregent.core.slots.SlotPolicy;
import io.pgregent.core.slots.SlotSpec;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.SlotNames;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local replication slots as {@link SlotPolicy} says, on the leader and on replicas, and
 * works out what the leader publishes in {@code status}. Runs on the loop thread.
 */
final class SlotKeeper {

  private static final Logger log = LoggerFactory.getLogger(SlotKeeper.class);

  /** A failed copy of a logical slot is not tried again (it restarts PostgreSQL) before this. */
  private static final long COPY_RETRY_NANOS = 20_000_000_000L;

  /** What the leader writes in {@code status}: slot positions and slots kept for absent members. */
  record StatusSlots(Map<String, Long> slots, List<String> retain) {}

  private final PostgresPort postgres;
  private final String name;
  private final boolean nostream;
  private Map<String, Long> retainSeen = new TreeMap<>();
  private boolean wasLeader;
  private final Map<String, Long> copyTriedAt = new HashMap<>();
  private volatile Map<String, Long> leaderSlots = Map.of();
  private ClusterView lastView;

  private final Clock clock;

  SlotKeeper(PostgresPort postgres, String name, boolean nostream, Clock clock) {
    this.clock = clock;
    this.postgres = postgres;
    this.name = name;
    this.nostream = nostream;
  }

  /**
   * On the running primary: creates, drops and advances its slots, and returns what to publish.
   *
   * @param optime the primary's current WAL position
   */
  StatusSlots keepAsLeader(
      ClusterView view, DynamicConfig dynamic, boolean nofailover, long optime) {
    long now = clock.nanoTime();
    if (!wasLeader) {
      // A new leader keeps what the previous one retained, for a full member_slots_ttl from now.
      retainSeen = new TreeMap<>();
      view.status().ifPresent(s -> s.retainSlots().forEach(r -> retainSeen.put(r, now)));
      wasLeader = true;
    }
    lastView = view;
    Map<String, Long> published = view.status().map(s -> s.slots()).orElse(Map.of());
    Map<String, SlotSpec> desired =
        SlotPolicy.desired(node(view, dynamic, true, nofailover, published));
    apply(desired, dynamic, true, true, 0, view);
    if (!dynamic.postgresql().useSlots()) {
      retainSeen = new TreeMap<>();
      leaderSlots = Map.of();
      return new StatusSlots(Map.of(), List.of());
    }
    Map<String, Long> positions =
        SlotPolicy.published(desired, local(), SlotNames.forMember(name), optime);
    retainSeen =
        SlotPolicy.retain(
            retainSeen,
            positions.keySet(),
            view,
            name,
            SlotPolicy.permanentPhysical(dynamic.slots()),
            SlotNames::forMember,
            dynamic.memberSlotsTtl(),
            now);
    leaderSlots = Map.copyOf(positions);
    return new StatusSlots(positions, List.copyOf(retainSeen.keySet()));
  }

  /**
   * On a running replica: keeps its copies of the cluster's slots, advanced to the positions the
   * leader published ({@code published}: {@code status.slots}, or the failsafe primary's heartbeat
   * while the store is unreachable).
   */
  void keepAsReplica(
      ClusterView view, DynamicConfig dynamic, boolean nofailover, Map<String, Long> published) {
    if (view.member(name).isEmpty()) {
      // Our tags (replicatefrom, nostream) decide which slots we keep: until our member key is in
      // the store, copying or dropping on a guess would only be undone a cycle later.
      return;
    }
    keepAsReplica(view, dynamic, nofailover, published, true);
  }

  private void keepAsReplica(
      ClusterView view,
      DynamicConfig dynamic,
      boolean nofailover,
      Map<String, Long> published,
      boolean mayCopy) {
    wasLeader = false;
    leaderSlots = Map.of();
    lastView = view;
    Map<String, SlotSpec> desired =
        SlotPolicy.desired(node(view, dynamic, false, nofailover, published));
    boolean hasLeader = view.leader().map(l -> !l.name().equals(name)).orElse(false);
    SlotPlan plan = apply(desired, dynamic, false, hasLeader, postgres.slots().replayLsn(), view);
    if (mayCopy && !plan.copyLogical().isEmpty() && hasLeader) {
      copyLogical(view, plan.copyLogical());
    }
  }

  /**
   * The primary's current positions of the slots it last published (its own at its WAL position):
   * what its failsafe heartbeats carry while the store is down.
   */
  Map<String, Long> currentPositions() {
    Map<String, Long> last = leaderSlots;
    if (last.isEmpty()) {
      return last;
    }
    Map<String, Long> out = new TreeMap<>();
    try {
      for (LocalSlot r : postgres.slots().replicationSlots()) {
        if (last.containsKey(r.name())) {
          long pos = r.logical() ? r.confirmedFlushLsn() : r.restartLsn();
          out.put(r.name(), pos > 0 ? pos : last.get(r.name()));
        }
      }
      String self = SlotNames.forMember(name);
      postgres.state().server().ifPresent(s -> out.put(self, s.currentLsn()));
    } catch (RuntimeException e) {
      return last;
    }
    return out;
  }

  /**
   * On a failsafe primary while the store is unreachable: keeps its slots as in the last view read,
   * the slots of members streaming from another member advanced to the positions they reported in
   * their failsafe answers ({@code lsns}).
   */
  void keepAsFailsafeLeader(DynamicConfig dynamic, boolean nofailover, Map<String, Long> lsns) {
    ClusterView view = lastView;
    if (view == null || !wasLeader) {
      return;
    }
    java.util.SortedMap<String, io.pgregent.core.cluster.Member> members = new TreeMap<>();
    view.members()
        .forEach(
            (n, m) -> {
              Long lsn = lsns.get(n);
              members.put(
                  n,
                  lsn == null
                      ? m
                      : io.pgregent.core.cluster.Member.of(
                          n, m.data().deepCopy().put("xlog_location", lsn)));
            });
    ClusterView updated =
        new ClusterView(
            view.initialize(),
            view.config(),
            view.leader(),
            members,
            view.status(),
            view.history(),
            view.failover(),
            view.sync(),
            view.failsafe(),
            view.malformedKeys());
    Map<String, Long> published = view.status().map(s -> s.slots()).orElse(Map.of());
    run(
        "keep slots in failsafe mode",
        () ->
            apply(
                SlotPolicy.desired(node(updated, dynamic, true, nofailover, published)),
                dynamic,
                true,
                true,
                0,
                updated));
  }

  /**
   * On a replica while the store is unreachable: keeps the slots as in the last view read, advanced
   * to the positions the failsafe primary sent.
   */
  void keepFromFailsafe(DynamicConfig dynamic, boolean nofailover, Map<String, Long> published) {
    ClusterView view = lastView;
    if (view != null && !published.isEmpty()) {
      // No copies meanwhile: they restart PostgreSQL, and the view they would rely on is old.
      keepAsReplica(view, dynamic, nofailover, published, false);
    }
  }

  private SlotPolicy.Node node(
      ClusterView view,
      DynamicConfig dynamic,
      boolean leader,
      boolean nofailover,
      Map<String, Long> published) {
    return new SlotPolicy.Node(
        view,
        name,
        leader,
        nofailover,
        nostream,
        dynamic.postgresql().useSlots(),
        dynamic.memberSlotsTtl(),
        dynamic.slots(),
        dynamic.isStandbyCluster(),
        published,
        view.status().map(s -> s.retainSlots()).orElse(List.of()),
        SlotNames::forMember);
  }

  private SlotPlan apply(
      Map<String, SlotSpec> desired,
      DynamicConfig dynamic,
      boolean primary,
      boolean cleanXmin,
      long replayLsn,
      ClusterView view) {
    SlotPlan plan =
        SlotPolicy.plan(
            desired,
            local(),
            SlotMatcher.of(dynamic.ignoreSlots()),
            primary,
            dynamic.pause(),
            cleanXmin,
            replayLsn);
    for (SlotPlan.Drop d : plan.drop()) {
      run(
          "drop " + d.name(),
          () -> {
            if (postgres.slots().dropReplicationSlot(d.name())) {
              log.info("dropped {} '{}'", d.reason(), d.name());
            }
          });
    }
    for (SlotSpec s : plan.createPhysical()) {
      run(
          "create " + s.name(),
          () -> {
            postgres.slots().createPhysicalSlot(s.name());
            log.info("created physical replication slot {}", s.name());
          });
    }
    for (SlotSpec s : plan.createLogical()) {
      run(
          "create " + s.name(),
          () -> {
            postgres.slots().createLogicalSlot(s.name(), s.database(), s.plugin());
            log.info("created logical replication slot {}", s.name());
          });
    }
    plan.advancePhysical()
        .forEach(
            s ->
                run(
                    "advance " + s.name(),
                    () -> postgres.slots().advancePhysicalSlot(s.name(), s.lsn())));
    List<SlotSpec> copy = new java.util.ArrayList<>(plan.copyLogical());
    for (SlotSpec s : plan.advanceLogical()) {
      run(
          "advance " + s.name(),
          () -> {
            if (!postgres.slots().advanceLogicalSlot(s.name(), s.database(), s.lsn())) {
              copy.add(s);
            }
          });
    }
    return new SlotPlan(
        plan.drop(),
        plan.createPhysical(),
        plan.createLogical(),
        plan.advancePhysical(),
        plan.advanceLogical(),
        copy);
  }

  private void copyLogical(ClusterView view, List<SlotSpec> slots) {
    long now = clock.nanoTime();
    Map<String, List<String>> expected = new LinkedHashMap<>();
    for (SlotSpec s : slots) {
      Long tried = copyTriedAt.get(s.name());
      if (tried == null || now - tried >= COPY_RETRY_NANOS) {
        expected.put(s.name(), List.of(s.database(), s.plugin()));
        copyTriedAt.put(s.name(), now);
      }
    }
    if (expected.isEmpty()) {
      return;
    }
    String leader = view.leader().orElseThrow().name();
    run(
        "copy logical slots " + expected.keySet(),
        () ->
            postgres
                .slots()
                .copyLogicalSlots(ReplicaSetup.connection(view, leader), expected)
                .forEach(copyTriedAt::remove));
  }

  private List<LocalSlot> local() {
    return postgres.slots().replicationSlots();
  }

  private static void run(String what, Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("replication slots: could not {}: {}", what, e.getMessage());
    }
  }
}
