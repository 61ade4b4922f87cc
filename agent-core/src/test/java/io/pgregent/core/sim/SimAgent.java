package io.pgregent.core.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.TakenTimeline;
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
import io.pgregent.core.ha.ReplicationStatus;
import io.pgregent.core.lease.LeaseGuard;
import java.time.Duration;
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
final class SimAgent extends PausableMachine {

  private static final int MAX_DECISIONS_PER_CYCLE = 8;

  private final HaSettings settings;
  private InMemoryDcs dcs;
  private AgentMemory memory = AgentMemory.initial();
  private boolean holdsLock;
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

  // A step that falls due while the agent is frozen or its loop stalled waits for the thaw.
  private Runnable pendingStep;
  private boolean inCycle;
  // The agent's own lease guard, on its own thread, handed each renewal after an action; the
  // fence (another process) hears of each renewal and holds the same deadline.
  private LeaseGuard guard;
  private static final long NONE = Long.MIN_VALUE;
  private long leaseVouchedAt = NONE;

  SimAgent(String name, SimCluster world, HaSettings settings) {
    super(name, world);
    this.settings = settings;
    this.dcs = world.connect(name);
    startProcess();
  }

  /** A fresh agent process: its lease guard's thread starts with it. */
  private void startProcess() {
    if (!guarded()) {
      return;
    }
    process = world.threads.process(name, clock);
    guard = new LeaseGuard(clock::nanoTime, process, this::guardStops, name);
    if (world.options.fence()) {
      guard.addListener(fence);
    }
  }

  @Override
  public void start(long delayNanos) {
    scheduleCycle(delayNanos);
  }

  void clingToLeadership() {
    clingsToLeadership = true;
  }

  /** What the agent believes: it holds the leader lock. */
  @Override
  public boolean believesLeader() {
    return up && holdsLock;
  }

  // ---- faults ----

  /** The machine dies: agent and PostgreSQL with it; the lease runs out in the store. */
  @Override
  public void crash() {
    up = false;
    forgetPauses();
    pendingStep = null;
    inCycle = false;
    slowStoreUntil = 0;
    leaseVouchedAt = NONE;
    fence.cleared();
    if (process != null) {
      process.kill();
    }
    holdsLock = false;
    pg.crash();
    dcs.close();
    cycleGeneration++;
  }

  /** The machine is back: a fresh agent process, PostgreSQL still down. */
  @Override
  public void restart() {
    up = true;
    syncMark = -1;
    memory = AgentMemory.initial();
    holdsLock = false;
    // As the agent's: a new process knows of a demotion only what the data directory says.
    mayHaveDiverged = false;
    dcs = world.connect(name);
    lastDecision = "";
    startProcess();
    scheduleCycle(0);
  }

  @Override
  protected void resumed() {
    Runnable step = pendingStep;
    pendingStep = null;
    if (step != null) {
      long generation = cycleGeneration;
      world.sim.schedule(
          Duration.ZERO,
          "resume " + name,
          () -> {
            if (generation == cycleGeneration && up) {
              runStep(step);
            }
          });
    }
  }

  /** Our monotonic clock. */
  private long localNanos() {
    return clock.nanoTime();
  }

  private long wallMillis() {
    return clock.wallMillis();
  }

  // ---- the lease guard and the fence ----

  private boolean guarded() {
    return world.options.leaseGuard();
  }

  /** As LeaseGuards.guardLease after each action: renewals move the deadline on, never back. */
  private void guardLease(LocalState sample) {
    if (!guarded()) {
      return;
    }
    long vouched = leaseVouchedAt;
    leaseVouchedAt = NONE;
    if (vouched != NONE && holdsLock) {
      Duration ttl = Duration.ofMillis(settings.ttlMillis());
      guard.renewed(vouched, ttl, LeaseGuard.defaultMargin(ttl));
    } else if (!holdsLock && !(sample.run() == PostgresRunState.RUNNING && !sample.inRecovery())) {
      guard.clear();
    }
  }

  /** A renewal still vouches for the lease (always, without the guard modelled). */
  private boolean leaseHeld() {
    return !guarded() || guard.valid();
  }

  /** The guard's action at the deadline, on the guard's own thread. */
  private void guardStops() {
    if (up && pg.run() == PostgresRunState.RUNNING) {
      world.sim.trace(name + " lease guard: the lease deadline passed, stopping PostgreSQL");
      pg.stop(false);
    }
  }

  // ---- the loop ----

  void scheduleCycle(long delayNanos) {
    long generation = ++cycleGeneration;
    world.sim.scheduleAt(
        world.sim.nowNanos() + delayNanos,
        "cycle " + name,
        () -> {
          if (generation == cycleGeneration && up && !halted) {
            runStep(this::cycle);
          }
        });
  }

  /** Runs a step of the loop now, or when the loop runs again. */
  private void runStep(Runnable step) {
    if (frozen || stalled) {
      pendingStep = step;
    } else {
      step.run();
    }
  }

  /** A watch fired: cut the wait short, as the loop's awaitChange does. */
  @Override
  public void wakeIfChanged(long deliveryNanos) {
    if (up && !halted && !inCycle && !frozen && dcs.changeCount() > seenChanges) {
      seenChanges = dcs.changeCount();
      scheduleCycle(deliveryNanos);
    }
  }

  /** One cycle in progress: what it has read, sampled and learnt so far. */
  private static final class Cycle {
    Optional<ClusterView> view;
    LocalState local;
    CycleFacts facts = CycleFacts.fresh();
    final List<String> decisions = new ArrayList<>();
    int decided;
  }

  private void cycle() {
    seenChanges = dcs.changeCount();
    inCycle = world.options.stepwise();
    Cycle c = new Cycle();
    c.view = read();
    // Sampled once a cycle, and again after an action, as the agent's loop does.
    c.local = sample();
    long now = localNanos();
    c.view.ifPresent(
        v -> memory = memory.rememberMembers(v, now, settings.ttlMillis() * 1_000_000L));
    next(c, READ_NANOS + storeDelay(null) + storeDelay(null));
  }

  // Until then (simulated nanos) this member's store calls are slow: each way takes up to 1 s.
  private long slowStoreUntil;

  /** A slow network to the store, or a store slow to answer this member, for {@code lasts}. */
  @Override
  public void slowStore(Duration lasts) {
    slowStoreUntil = world.sim.nowNanos() + lasts.toNanos();
  }

  /** How long one way of a store call takes now: 0 unless the store is slow for us. */
  private long storeDelay(Action action) {
    boolean storeCall =
        action == null
            || action instanceof Action.RefreshLock
            || action instanceof Action.AcquireLock
            || action instanceof Action.RaceInitialize
            || action instanceof Action.WriteSyncState
            || action instanceof Action.DeleteSyncState
            || action instanceof Action.ClearFailover
            || action instanceof Action.ReleaseLock;
    if (!storeCall || world.sim.nowNanos() >= slowStoreUntil) {
      return 0;
    }
    return world.sim.random().nextLong(0, 1_000) * 1_000_000L;
  }

  /** Simulated time a step takes: a store round trip, a PostgreSQL command. */
  private static final long READ_NANOS = 2_000_000L;

  private long cost(Action action) {
    if (!world.options.stepwise()) {
      return 0;
    }
    long millis =
        action instanceof Action.Promote || action instanceof Action.Demote
            ? world.sim.random().nextLong(50, 3_000)
            : action instanceof Action.StartPostgres
                    || action instanceof Action.FollowLeader
                    || action instanceof Action.Rejoin
                ? world.sim.random().nextLong(100, 5_000)
                : world.sim.random().nextLong(1, 30);
    return millis * 1_000_000L;
  }

  /** The next step of the cycle: at once in the first model, after {@code nanos} when stepwise. */
  private void next(Cycle c, long nanos) {
    if (!world.options.stepwise()) {
      decide(c);
      return;
    }
    long generation = cycleGeneration;
    world.sim.schedule(
        Duration.ofNanos(nanos),
        "step " + name,
        () -> {
          if (generation == cycleGeneration && up && !halted) {
            runStep(() -> decide(c));
          }
        });
  }

  private void decide(Cycle c) {
    if (c.decided >= MAX_DECISIONS_PER_CYCLE) {
      finish(c, false);
      return;
    }
    c.decided++;
    trackPrimaryDown(c.view, c.local);
    Decision d =
        HaDecider.decide(
            new HaInput(c.view, c.local, c.facts, settings, memory, localNanos(), wallMillis()));
    c.decisions.add(d.action().getClass().getSimpleName() + ": " + d.message());
    if (d.action() instanceof Action.ReadView) {
      c.view = read();
      c.facts = c.facts.withViewReread();
      next(c, READ_NANOS);
      return;
    }
    long sentAt = localNanos();
    long delay = storeDelay(d.action());
    if (delay > 0) {
      // The request reaches the store later than it was sent (the lease counts from the send).
      long generation = cycleGeneration;
      world.sim.schedule(
          Duration.ofNanos(delay),
          "store request " + name,
          () -> {
            if (generation == cycleGeneration && up && !halted) {
              runStep(() -> act(c, d, sentAt));
            }
          });
      return;
    }
    act(c, d, sentAt);
  }

  private void act(Cycle c, Decision d, long sentAt) {
    Step step;
    try {
      step = execute(d.action(), c.view, c.facts, sentAt);
    } catch (DcsUnreachableException e) {
      world.sim.trace(name + " store unreachable: " + e.getMessage());
      finish(c, false);
      return;
    }
    c.facts = step.facts;
    guardLease(c.local);
    pauseIfArmed(d.action().getClass());
    if (step.storeLost) {
      c.view = Optional.empty();
    }
    if (step.gathering) {
      next(c, cost(d.action()) + storeDelay(d.action()));
      return;
    }
    boolean acted = !(d.action() instanceof Action.None);
    if (acted) {
      c.local = sample();
    }
    long took = cost(d.action());
    if (took == 0) {
      finish(c, acted);
    } else {
      long generation = cycleGeneration;
      world.sim.schedule(
          Duration.ofNanos(took),
          "step " + name,
          () -> {
            if (generation == cycleGeneration && up && !halted) {
              runStep(
                  () -> {
                    c.local = sample();
                    finish(c, acted);
                  });
            }
          });
    }
  }

  private void finish(Cycle c, boolean acted) {
    if (c.view.isPresent()) {
      memory = memory.withWasLeader(holdsLock);
    }
    guardLease(c.local);
    // The trace shows a cycle when it decided differently from the one before.
    String cycleLine = String.join("; ", c.decisions);
    if (!cycleLine.equals(lastDecision) || Boolean.getBoolean("regent.sim.verbose")) {
      world.sim.trace(name + " " + cycleLine);
    }
    lastDecision = cycleLine;
    publish(c.view);
    inCycle = false;
    if (!acted && world.options.stepwise() && dcs.changeCount() > seenChanges) {
      // A watch fired during the cycle: the wait ends at once.
      seenChanges = dcs.changeCount();
      scheduleCycle(world.sim.between(Duration.ofMillis(1), Duration.ofMillis(50)).toNanos());
    } else {
      scheduleCycle(acted ? 0 : settings.loopWaitMillis() * 1_000_000L);
    }
  }

  // As the agent's: the WAL position when synchronous_standby_names last changed (-1: none yet).
  private long syncMark = -1;

  /** PostgreSQL's state as the agent samples it, with a primary's standbys. */
  private LocalState sample() {
    if (!pg.writable()) {
      syncMark = -1;
      return pg.local(new ReplicationStatus(pg.synchronousStandbyNames(), -1, List.of()))
          .withFormerPrimary(mayHaveDiverged);
    }
    if (syncMark < 0) {
      syncMark = pg.lsn();
    }
    return pg.local(
            new ReplicationStatus(
                pg.synchronousStandbyNames(), syncMark, pg.standbyLinks(world.standbysOf(name))))
        .withFormerPrimary(mayHaveDiverged);
  }

  private Optional<ClusterView> read() {
    try {
      ClusterView view = dcs.read();
      // As the agent: a view whose lock is not ours ends our belief that we lead.
      if (view.leader().map(l -> !l.name().equals(name)).orElse(true)) {
        holdsLock = false;
      }
      return Optional.of(view);
    } catch (DcsUnreachableException e) {
      return Optional.empty();
    }
  }

  private void trackPrimaryDown(Optional<ClusterView> view, LocalState local) {
    boolean leader = view.map(v -> v.isLockedBy(name)).orElse(false);
    if (leader && local.run() != PostgresRunState.RUNNING) {
      if (memory.primaryDownSinceNanos().isEmpty()) {
        memory = memory.withPrimaryDownSince(OptionalLong.of(localNanos()));
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

  private Step execute(Action action, Optional<ClusterView> view, CycleFacts facts, long sentAt) {
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
        holdsLock = dcs.refresh(leaseHeld());
        if (holdsLock) {
          leaseVouchedAt = sentAt;
        }
        return Step.gathered(facts.withLockRefreshed(holdsLock));
      } catch (DcsUnreachableException e) {
        holdsLock = false;
        return new Step(facts, true, true);
      }
    }
    if (action instanceof Action.AcquireLock) {
      dcs.renewSession();
      holdsLock = dcs.tryAcquire();
      if (holdsLock) {
        leaseVouchedAt = sentAt;
      }
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
        answers.put(peer, world.peerStatus(name, peer));
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
      leaseVouchedAt = holdsLock ? sentAt : NONE;
      long version = dcs.read().initialize().map(i -> i.version()).orElse(0L);
      dcs.compareAndSet(ClusterKey.INITIALIZE, version, sysid);
      memory = memory.withBootstrapping(false);
    } else if (action instanceof Action.CloneFromLeader a) {
      pg.cloneFrom(world.pg(a.source()));
    } else if ((action instanceof Action.Promote
            || action instanceof Action.StartPostgres a0 && !a0.asReplica() && holdsLock)
        && !leaseHeld()) {
      // As the executor: PostgreSQL never becomes writable on a renewal whose lease ran out.
      world.sim.trace(name + " not becoming writable: the lease deadline passed since the renewal");
    } else if (action instanceof Action.StartPostgres a) {
      if (a.asReplica()
          && a.leader() != null
          && world.pg(a.leader()) != null
          && (pg.primaryData()
              || mayHaveDiverged
              || world.pg(a.leader()).timeline() > pg.timeline())) {
        // As the executor: a former primary, or a standby the leader's timeline moved past, joins
        // through pg_rewind (which rewinds only when the histories parted).
        pg.start(true, a.leader());
        rejoin(a.leader());
      } else {
        mayHaveDiverged |= a.asReplica() && a.leader() == null && pg.primaryData();
        pg.start(a.asReplica(), a.leader());
      }
    } else if (action instanceof Action.Promote && !pg.runningReplica()) {
      // pg_ctl promote needs a running standby: the guard or the fence may have stopped it since
      // the sample the decision was made on.
      world.sim.trace(name + " promote failed: PostgreSQL is " + pg.run());
    } else if (action instanceof Action.Promote a) {
      if (recordTimelineTaken(a.reserveThrough())) {
        long switchLsn = pg.lsn();
        long old = pg.promote();
        world.timelineCreated(pg.timeline(), name);
        recordHistory(view, old, switchLsn);
      }
    } else if (action instanceof Action.Demote a) {
      pg.stop(true);
      holdsLock = false;
      mayHaveDiverged = true;
      if (a.rejoin() != null && view.isPresent()) {
        rejoin(a.rejoin());
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
    } else if (action instanceof Action.StepDown a) {
      stepDown(a, view);
    } else if (action instanceof Action.ClearFailover) {
      view.flatMap(ClusterView::failover)
          .ifPresent(f -> dcs.compareAndDelete(ClusterKey.FAILOVER, f.version()));
    } else if (action instanceof Action.WriteSyncState a) {
      dcs.compareAndSet(ClusterKey.SYNC, a.state().version(), ClusterCodec.encode(a.state()));
    } else if (action instanceof Action.DeleteSyncState a) {
      dcs.compareAndDelete(ClusterKey.SYNC, a.expectedVersion());
    } else if (action instanceof Action.SetSyncStandbyNames a) {
      if (pg.run() == PostgresRunState.RUNNING) {
        syncMark = pg.setSynchronousStandbyNames(a.value());
      } else {
        // As the agent's: no standby is confirmed against a mark that may predate the value.
        syncMark = Long.MAX_VALUE;
      }
    } else if (action instanceof Action.Halt) {
      halted = true;
    } else if (!(action instanceof Action.None)) {
      // Standby-cluster and switchover actions are outside the model.
      throw new IllegalStateException("not modelled in the simulation: " + action);
    }
    return Step.acted(facts);
  }

  /**
   * As the executor: once a candidate streams from us, a clean stop (the candidate then has every
   * record), the lock released; else the request is cleared and we stay the leader.
   */
  private void stepDown(Action.StepDown a, Optional<ClusterView> view) {
    List<PgModel> streaming = world.standbysOf(name);
    boolean ready =
        pg.writable() && streaming.stream().anyMatch(s -> a.candidates().contains(s.member()));
    if (!ready) {
      world.sim.trace(name + " switchover: none of " + a.candidates() + " streams from it");
      try {
        view.flatMap(ClusterView::failover)
            .ifPresent(f -> dcs.compareAndDelete(ClusterKey.FAILOVER, f.version()));
      } catch (DcsUnreachableException e) {
        // As the agent: logged; the next cycle decides again.
      }
      return;
    }
    pg.stopClean(streaming);
    mayHaveDiverged = false;
    memory = memory.withSteppedDown(true);
    world.sim.trace(
        name + " switchover: stopped cleanly, releasing the lock for " + a.candidates());
    holdsLock = false;
    try {
      dcs.release();
    } catch (DcsUnreachableException e) {
      // As the agent: logged; the lease runs out instead.
    }
  }

  /**
   * As the executor: placeholders past every number taken (the decision's and the store's record,
   * read afresh), then the number this promotion takes recorded in the store. False (and no
   * promotion) when the record cannot be written.
   */
  private boolean recordTimelineTaken(long reserveThrough) {
    try {
      Optional<TakenTimeline> recorded = dcs.read().takenTimeline();
      List<Long> reserved =
          pg.reserveTimelines(
              Math.max(reserveThrough, recorded.map(TakenTimeline::timeline).orElse(0L)));
      if (!reserved.isEmpty()) {
        world.sim.trace(name + " reserved timelines " + reserved);
      }
      long next = pg.nextTimeline();
      if (dcs.compareAndSet(
          ClusterKey.TAKEN_TIMELINE,
          recorded.map(TakenTimeline::version).orElse(0L),
          Long.toString(next))) {
        return true;
      }
      world.sim.trace(name + " not promoting: the store's taken timeline changed meanwhile");
    } catch (DcsUnreachableException e) {
      world.sim.trace(name + " not promoting: the taken timeline cannot be recorded");
    }
    return false;
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
                java.time.Instant.ofEpochMilli(wallMillis()).toString(),
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
