package io.pgregent.core.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.core.dcs.InMemoryDcs;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.AgentMemory;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.core.ha.Decision;
import io.pgregent.core.ha.HaDecider;
import io.pgregent.core.ha.HaInput;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.LocalState;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.core.ha.PostgresRunState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One member's agent in the simulation: the real {@link HaDecider} in a cycle shaped like the
 * agent's loop (read the view, decide up to eight times, act, publish the member key), with a model
 * executor acting on the {@link InMemoryDcs} and the {@link PgModel}. The executor is a stand-in
 * for the agent's own until that one runs here through ports (see the report of the simulation
 * groundwork); it keeps to the same outcomes per action.
 */
final class SimAgent {

  private static final int MAX_DECISIONS_PER_CYCLE = 8;

  final String name;
  final PgModel pg;
  private final SimCluster world;
  private final HaSettings settings;
  private InMemoryDcs dcs;
  private AgentMemory memory = AgentMemory.initial();
  private boolean holdsLock;
  private boolean up = true;
  private boolean halted;
  // As the executor's: a primary's data started read-only may have gone past the next leader's
  // fork.
  private boolean mayHaveDiverged;
  private long cycleGeneration;
  private long seenChanges;
  private String lastDecision = "";
  // A deliberately broken agent, to show the invariants catch one: it ignores a lost lock and
  // every demotion.
  private boolean clingsToLeadership;

  SimAgent(String name, SimCluster world, HaSettings settings) {
    this.name = name;
    this.world = world;
    this.settings = settings;
    this.pg = new PgModel(name);
    this.dcs = world.connect(name);
  }

  void clingToLeadership() {
    clingsToLeadership = true;
  }

  boolean up() {
    return up;
  }

  /** What the agent believes: it holds the leader lock. */
  boolean believesLeader() {
    return up && holdsLock;
  }

  // ---- faults ----

  /** The machine dies: agent and PostgreSQL with it; the lease runs out in the store. */
  void crash() {
    up = false;
    holdsLock = false;
    pg.crash();
    dcs.close();
    cycleGeneration++;
  }

  /** The machine is back: a fresh agent process, PostgreSQL still down. */
  void restart() {
    up = true;
    memory = AgentMemory.initial();
    holdsLock = false;
    dcs = world.connect(name);
    lastDecision = "";
    scheduleCycle(0);
  }

  // ---- the loop ----

  void scheduleCycle(long delayNanos) {
    long generation = ++cycleGeneration;
    world.sim.scheduleAt(
        world.sim.nowNanos() + delayNanos,
        "cycle " + name,
        () -> {
          if (generation == cycleGeneration && up && !halted) {
            cycle();
          }
        });
  }

  /** A watch fired: cut the wait short, as the loop's awaitChange does. */
  void wakeIfChanged(long deliveryNanos) {
    if (up && !halted && dcs.changeCount() > seenChanges) {
      seenChanges = dcs.changeCount();
      scheduleCycle(deliveryNanos);
    }
  }

  private void cycle() {
    seenChanges = dcs.changeCount();
    Optional<ClusterView> view = read();
    long now = world.sim.nowNanos();
    view.ifPresent(v -> memory = memory.rememberMembers(v, now, settings.ttlMillis() * 1_000_000L));
    CycleFacts facts = CycleFacts.fresh();
    boolean acted = false;
    List<String> decisions = new ArrayList<>();
    for (int i = 0; i < MAX_DECISIONS_PER_CYCLE; i++) {
      LocalState local = pg.local();
      trackPrimaryDown(view, local);
      Decision d =
          HaDecider.decide(
              new HaInput(
                  view,
                  local,
                  facts,
                  settings,
                  memory,
                  world.sim.nowNanos(),
                  world.sim.clock().wallMillis()));
      decisions.add(d.action().getClass().getSimpleName() + ": " + d.message());
      if (d.action() instanceof Action.ReadView) {
        view = read();
        facts = facts.withViewReread();
        continue;
      }
      Step step;
      try {
        step = execute(d.action(), view, facts);
      } catch (DcsUnreachableException e) {
        world.sim.trace(name + " store unreachable: " + e.getMessage());
        break;
      }
      facts = step.facts;
      if (step.storeLost) {
        view = Optional.empty();
      }
      if (!step.gathering) {
        acted = !(d.action() instanceof Action.None);
        break;
      }
    }
    if (view.isPresent()) {
      memory = memory.withWasLeader(holdsLock);
    }
    // The trace shows a cycle when it decided differently from the one before.
    String cycleLine = String.join("; ", decisions);
    if (!cycleLine.equals(lastDecision)) {
      world.sim.trace(name + " " + cycleLine);
    }
    lastDecision = cycleLine;
    publish(view);
    scheduleCycle(acted ? 0 : settings.loopWaitMillis() * 1_000_000L);
  }

  private Optional<ClusterView> read() {
    try {
      return Optional.of(dcs.read());
    } catch (DcsUnreachableException e) {
      return Optional.empty();
    }
  }

  private void trackPrimaryDown(Optional<ClusterView> view, LocalState local) {
    boolean leader = view.map(v -> v.isLockedBy(name)).orElse(false);
    if (leader && local.run() != PostgresRunState.RUNNING) {
      if (memory.primaryDownSinceNanos().isEmpty()) {
        memory = memory.withPrimaryDownSince(OptionalLong.of(world.sim.nowNanos()));
      }
    } else if (memory.primaryDownSinceNanos().isPresent()) {
      memory = memory.withPrimaryDownSince(OptionalLong.empty());
    }
  }

  private void publish(Optional<ClusterView> view) {
    if (view.isEmpty()) {
      return;
    }
    try {
      dcs.renewSession();
      if (pg.run() == PostgresRunState.NO_DATA) {
        return;
      }
      ObjectNode data = ClusterCodec.nodes().objectNode();
      data.put("conn_url", "postgres://" + name + ":5432/postgres");
      data.put("api_url", SimCluster.apiUrl(name));
      data.put("state", pg.run() == PostgresRunState.RUNNING ? "running" : "stopped");
      data.put("role", pg.writable() ? "primary" : "replica");
      data.put("version", "4.1.4");
      data.put("xlog_location", pg.lsn());
      data.put("timeline", pg.timeline());
      dcs.touchMember(Member.of(name, data));
      if (holdsLock && pg.writable()) {
        // The leader's optime: candidates further behind than maximum_lag_on_failover stand back.
        dcs.put(ClusterKey.STATUS, ClusterCodec.encodeStatus(pg.lsn(), Map.of(), List.of()));
      }
    } catch (DcsUnreachableException e) {
      // The next cycle tries again.
    }
  }

  // ---- the model executor ----

  private record Step(CycleFacts facts, boolean gathering, boolean storeLost) {
    static Step acted(CycleFacts facts) {
      return new Step(facts, false, false);
    }

    static Step gathered(CycleFacts facts) {
      return new Step(facts, true, false);
    }
  }

  private Step execute(Action action, Optional<ClusterView> view, CycleFacts facts) {
    if (clingsToLeadership && holdsLock) {
      if (action instanceof Action.RefreshLock) {
        return Step.gathered(facts.withLockRefreshed(true));
      }
      if (action instanceof Action.Demote || action instanceof Action.ReleaseLock) {
        // Ignored, and not counted as a change: the cycle ends and waits loop_wait.
        return Step.gathered(facts);
      }
    }
    if (action instanceof Action.RefreshLock) {
      try {
        dcs.renewSession();
        holdsLock = dcs.refresh();
        return Step.gathered(facts.withLockRefreshed(holdsLock));
      } catch (DcsUnreachableException e) {
        holdsLock = false;
        return new Step(facts, true, true);
      }
    }
    if (action instanceof Action.AcquireLock) {
      dcs.renewSession();
      holdsLock = dcs.tryAcquire();
      return Step.gathered(facts.withLockAcquired(holdsLock));
    }
    if (action instanceof Action.RaceInitialize) {
      boolean won = dcs.compareAndSet(ClusterKey.INITIALIZE, 0, "");
      if (won) {
        memory = memory.withBootstrapping(true);
      }
      return Step.gathered(facts.withInitializeWon(won));
    }
    if (action instanceof Action.QueryPeers a) {
      Map<String, PeerStatus> answers = new TreeMap<>();
      for (String peer : a.members().keySet()) {
        answers.put(peer, world.peerStatus(peer));
      }
      return Step.gathered(facts.withPeers(answers));
    }
    if (action instanceof Action.QueryFailsafe) {
      return Step.gathered(facts.withFailsafeAccepted(false));
    }
    if (action instanceof Action.RepairHistory) {
      repairHistory(view);
      return Step.gathered(facts.withHistoryRepaired());
    }
    if (action instanceof Action.Bootstrap) {
      String sysid = world.newSystemId();
      pg.bootstrap(sysid);
      world.timelineCreated(pg.timeline(), name);
      dcs.renewSession();
      holdsLock = dcs.tryAcquire();
      long version = dcs.read().initialize().map(i -> i.version()).orElse(0L);
      dcs.compareAndSet(ClusterKey.INITIALIZE, version, sysid);
      memory = memory.withBootstrapping(false);
    } else if (action instanceof Action.CloneFromLeader a) {
      pg.cloneFrom(world.pg(a.source()));
    } else if (action instanceof Action.StartPostgres a) {
      if (a.asReplica()
          && a.leader() != null
          && world.pg(a.leader()) != null
          && (pg.primaryData() || world.pg(a.leader()).timeline() > pg.timeline())) {
        // As the executor: a former primary, or a standby the leader's timeline moved past, joins
        // through pg_rewind (which rewinds only when the histories parted).
        pg.start(true, a.leader());
        rejoin(a.leader());
      } else {
        mayHaveDiverged |= a.asReplica() && a.leader() == null && pg.primaryData();
        pg.start(a.asReplica(), a.leader());
      }
    } else if (action instanceof Action.Promote) {
      long switchLsn = pg.lsn();
      long old = pg.promote();
      world.timelineCreated(pg.timeline(), name);
      recordHistory(view, old, switchLsn);
    } else if (action instanceof Action.Demote a) {
      pg.stop(true);
      holdsLock = false;
      Optional<String> leader =
          view.flatMap(ClusterView::leader).map(l -> l.name()).filter(n -> !n.equals(name));
      if (a.mode() == Action.DemoteMode.IMMEDIATE_NOLOCK && leader.isPresent()) {
        rejoin(leader.get());
      } else if (a.mode() == Action.DemoteMode.OFFLINE) {
        pg.start(true, null);
      }
    } else if (action instanceof Action.FollowLeader a) {
      if (mayHaveDiverged) {
        rejoin(a.leader());
      } else {
        pg.follow(a.leader());
      }
    } else if (action instanceof Action.Rejoin a) {
      rejoin(a.leader());
    } else if (action instanceof Action.ReleaseLock) {
      if (pg.writable()) {
        pg.stop(true);
      }
      dcs.release();
      holdsLock = false;
    } else if (action instanceof Action.ClearFailover) {
      view.flatMap(ClusterView::failover)
          .ifPresent(f -> dcs.compareAndDelete(ClusterKey.FAILOVER, f.version()));
    } else if (action instanceof Action.Halt) {
      halted = true;
    } else if (!(action instanceof Action.None)) {
      // Sync, standby-cluster and switchover actions are outside this first model.
      throw new IllegalStateException("not modelled in the simulation: " + action);
    }
    return Step.acted(facts);
  }

  /** Follows {@code leader}, rewinding first when our WAL went past its fork point. */
  private void rejoin(String leader) {
    mayHaveDiverged = false;
    PgModel source = world.pg(leader);
    if (pg.canFollow(source)) {
      pg.follow(leader);
    } else {
      world.sim.trace(name + " pg_rewind onto " + leader);
      pg.rewind(source);
    }
  }

  /** As the agent: the key becomes our timeline's history file, keeping what it knew of each. */
  private void repairHistory(Optional<ClusterView> view) {
    Optional<TimelineHistory> current = view.flatMap(ClusterView::history);
    TimelineHistory.fromTimelineFile(pg.lineage(), current, name)
        .ifPresent(
            next -> {
              world.sim.trace(name + " history key repaired from its timeline history");
              writeHistory(current, next);
            });
  }

  private void recordHistory(Optional<ClusterView> view, long oldTimeline, long switchLsn) {
    Optional<TimelineHistory> current = view.flatMap(ClusterView::history);
    writeHistory(
        current,
        TimelineHistory.afterPromotion(
            current,
            new TimelineHistory.Entry(
                oldTimeline,
                switchLsn,
                "no recovery target specified",
                java.time.Instant.ofEpochMilli(world.sim.clock().wallMillis()).toString(),
                name)));
  }

  private void writeHistory(Optional<TimelineHistory> current, TimelineHistory next) {
    try {
      dcs.compareAndSet(
          ClusterKey.HISTORY,
          current.map(TimelineHistory::version).orElse(0L),
          ClusterCodec.encode(next));
    } catch (DcsUnreachableException e) {
      // The next cycle's RepairHistory records it.
    }
  }

  @Override
  public String toString() {
    return name + (up ? "" : " (down)") + (holdsLock ? " [lock]" : "") + " " + pg;
  }
}
