package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.logging.Critical;
import io.pgregent.agent.watchdog.Watchdog;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.core.ha.Decision;
import io.pgregent.core.ha.HaDecider;
import io.pgregent.core.ha.HaInput;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.LocalState;
import io.pgregent.core.lease.LeaseGuard;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresPort;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The HA loop, on one thread: read the cluster, sample PostgreSQL, decide, execute, publish, then
 * wait for {@code loop_wait} or until the store's watch signals a change. Decisions that only
 * gather facts (refresh or take the lock, ask the peers) are followed by another decision in the
 * same cycle; any other action ends the cycle.
 *
 * <p>This class runs the cycles and is what the rest of the agent talks to; the work is done by one
 * class per concern: {@link HaExecutor} (actions), {@link MemberPublisher} (what we write to the
 * store), {@link TaskGate} (tasks vs actions), {@link ConfigInForce}, {@link LeaseGuards}, {@link
 * Snapshots}, {@link RestartSchedule} and {@link LoopShutdown}.
 */
public final class HaLoop implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(HaLoop.class);

  /** Patroni's version, which other agents and tools branch on. */
  public static final String PATRONI_VERSION = "4.1.4";

  private static final int MAX_DECISIONS_PER_CYCLE = 8;

  private final Clock clock;
  private final Dcs dcs;
  private final PostgresPort postgres;
  private final LoopState state = new LoopState();
  private final FailsafeHeartbeats heartbeats;
  private final ConfigInForce config;
  private final PeerCalls peers;
  private final TaskRunner runner;
  private final LeaseGuards guards;
  private final Snapshots snapshots;
  private final TaskGate tasks;
  private final RestartSchedule restarts;
  private final LocalStates locals;
  private final MemberPublisher publisher;
  private final HaExecutor executor;
  private final LoopShutdown shutdown;

  private volatile boolean running;
  private volatile boolean waiting;
  private volatile TaskRunner.Task thread;
  private volatile boolean wakeRequested;
  private volatile IntConsumer onFatal;
  private String lastMessage = "";

  /**
   * @param runner the threads and waits of the loop's work ({@link MachineTasks} in production)
   * @param clock the clocks the loop reads ({@link Clock#system()} in production)
   */
  public HaLoop(
      Dcs dcs,
      PostgresPort postgres,
      AgentConfig config,
      FailsafeHeartbeats heartbeats,
      TaskRunner runner,
      Clock clock) {
    this(dcs, postgres, config, heartbeats, new HttpPeerCalls(config), runner, clock);
  }

  /**
   * @param peers the calls to other members' REST APIs ({@link HttpPeerCalls} in production)
   * @param runner the threads and waits of the loop's work ({@link MachineTasks} in production)
   * @param clock the clocks the loop reads ({@link Clock#system()} in production)
   */
  public HaLoop(
      Dcs dcs,
      PostgresPort postgres,
      AgentConfig config,
      FailsafeHeartbeats heartbeats,
      PeerCalls peers,
      TaskRunner runner,
      Clock clock) {
    this.runner = runner;
    this.clock = clock;
    this.heartbeats = heartbeats;
    state.memory = state.memory.withStarted(clock.nanoTime());
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = new ConfigInForce(dcs, postgres, config);
    this.peers = peers;
    this.guards = new LeaseGuards(dcs, postgres, this.config, state, runner, clock);
    this.tasks = new TaskGate(config.name(), this::wake);
    this.snapshots = new Snapshots(postgres, guards.guard(), clock, tasks::task, runner.signal());
    this.restarts = new RestartSchedule(this::wake);
    this.locals = new LocalStates(postgres, this.config, state, tasks::task);
    SlotKeeper slots = new SlotKeeper(postgres, config.name(), config.tags().nostream(), clock);
    state.failsafeSlots = slots::currentPositions;
    this.publisher =
        new MemberPublisher(
            dcs,
            this.config,
            state,
            slots,
            heartbeats,
            new FailsafeTopology(dcs, this.config, state),
            restarts,
            clock,
            tasks::task);
    this.executor =
        new HaExecutor(
            dcs,
            postgres,
            config,
            peers,
            state,
            new ExecutorHooks(this.config, guards, snapshots, state),
            runner,
            clock);
    this.shutdown = new LoopShutdown(dcs, postgres, this.config, guards, snapshots, executor);
  }

  /** The task name of a reinitialize (see {@link #startTask}). */
  public static final String REINITIALIZE_TASK = "reinitialize";

  // ---- what the rest of the agent reads and asks ----

  /** The watchdog, for {@code /patroni}'s {@code watchdog_failed}. */
  public Watchdog watchdog() {
    return guards.watchdog();
  }

  /**
   * Whether a primary restarted by a task may come back writable: it still holds a lease, or the
   * cluster is paused (nothing is enforced then).
   */
  public boolean mayStayPrimary() {
    return guards.mayStayPrimary();
  }

  /** The leader's lease deadline, enforced on its own thread. */
  public LeaseGuard leaseGuard() {
    return guards.guard();
  }

  /** Whether this agent believes it holds the leader lock: its last read or renewal said so. */
  public boolean holdsLock() {
    return state.holdsLock;
  }

  /** The calls to other members' REST APIs, shared with the REST API's switchover checks. */
  public PeerCalls peers() {
    return peers;
  }

  /**
   * The last published snapshot, empty before the first cycle completed. Once the lease deadline
   * passed without a renewal, it no longer says we hold the lock, even while the loop is stuck:
   * write-routing health checks must not outlive the lease.
   */
  public Optional<AgentSnapshot> snapshot() {
    return snapshots.current();
  }

  /** As {@link #snapshot()}, without waiting: for observers that must never block (a monitor). */
  public Optional<AgentSnapshot> snapshotNow() {
    return snapshots.currentNow();
  }

  /**
   * The last snapshot with a PostgreSQL sample no older than {@code maxAge}, sampling again if it
   * is: members racing for the lock compare WAL positions, which must be current (a replica's loop
   * may last have run a loop_wait ago).
   */
  public Optional<AgentSnapshot> freshSnapshot(Duration maxAge) {
    return snapshots.fresh(maxAge);
  }

  /**
   * The last snapshot with a PostgreSQL sample begun at {@code sinceNanos} or later, sampling again
   * if it is older: a request answers about PostgreSQL as it was when the request came, while
   * concurrent requests share one sample.
   */
  public Optional<AgentSnapshot> sampledSince(long sinceNanos) {
    return snapshots.sampledSince(sinceNanos);
  }

  public AgentConfig config() {
    return config.local();
  }

  /**
   * What to do when the agent cannot go on (a failed bootstrap): the launcher exits the process
   * with the code given; without it the loop just stops. Called at once if that already happened.
   */
  public void onFatal(IntConsumer exit) {
    this.onFatal = exit;
    if (state.fatal != null) {
      exit.accept(1);
    }
  }

  /** Why the agent stopped for good, empty while it runs. */
  public Optional<String> fatal() {
    return Optional.ofNullable(state.fatal);
  }

  /**
   * Applies a re-read local configuration: the tags take effect at once (the member key and the
   * status document show them from the next cycle on); the rest on the loop's thread ({@link
   * LocalSettingsReload}).
   */
  public void reloadLocal(AgentConfig fresh) {
    if (config.reloadLocal(fresh)) {
      wake();
    }
  }

  public int ttlSeconds() {
    return config.dynamic().ttl();
  }

  /** The loop_wait in force, which may be lower than the configured one. */
  public int loopWaitSeconds() {
    return config.dynamic().loopWait();
  }

  /** Whether the cluster-wide configuration turns DCS failsafe mode on. */
  public boolean failsafeMode() {
    return config.dynamic().failsafeMode();
  }

  /** When this agent started (its monotonic clock), as the leader race counts promises from. */
  public java.util.OptionalLong startedNanos() {
    return state.memory.startedNanos();
  }

  /** The long operation in progress, if any. */
  public Optional<String> task() {
    return tasks.task();
  }

  /**
   * Runs {@code work} as a task on the calling thread: the loop takes no action on PostgreSQL while
   * it runs (a leader keeps refreshing its lock), and looks again as soon as it ends.
   */
  public <T> T runTask(String name, Callable<T> work) throws Exception {
    return tasks.runTask(name, work);
  }

  /** Starts {@code work} as a task on its own thread and returns at once. */
  public void startTask(String name, Runnable work) throws TaskBusyException {
    tasks.startTask(name, work);
  }

  /** The scheduled restart: the REST API schedules, cancels and runs it. */
  public RestartSchedule restarts() {
    return restarts;
  }

  /** Makes a waiting loop run its next cycle now. */
  public void wake() {
    wakeRequested = true;
    TaskRunner.Task t = thread;
    if (t != null && waiting) {
      t.interrupt();
    }
  }

  // ---- lifecycle ----

  @Override
  public void start() {
    guards.startFence();
    running = true;
    thread = runner.start("ha-loop-" + config.local().name(), this::run);
    // Our REST API is up (we start after the web server): warm both ends of member-to-member TLS.
    peers.warmUp(config.local().restapi().apiUrl());
  }

  @Override
  public void stop() {
    running = false;
    TaskRunner.Task t = thread;
    if (t != null) {
      // Wake the loop only while it waits: an interrupt in the middle of a store or PostgreSQL
      // call would turn into a failed action, and the loop must not act on that.
      if (waiting) {
        t.interrupt();
      }
      try {
        t.join(Duration.ofSeconds(60).toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    shutdown.run();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Start after the web server, so that peers can reach our REST API once we are in the race. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 100;
  }

  private void run() {
    while (running && !state.halted) {
      long since = dcs.changeCount();
      boolean acted;
      try {
        acted = cycle();
      } catch (RuntimeException e) {
        log.error("HA cycle failed: {}", e.toString(), e);
        acted = false;
      }
      if (state.halted) {
        if (state.fatal != null) {
          log.error(Critical.MARKER, state.fatal);
          IntConsumer exit = onFatal;
          if (exit != null) {
            exit.accept(1);
          }
        } else {
          log.error("stopping the HA loop: {}", lastMessage);
        }
        break;
      }
      // Set before checking running: stop() clears running, then interrupts only a waiting loop.
      waiting = true;
      try {
        if (!running) {
          return;
        }
        if (!wakeRequested) {
          // After an action that changed something, look again at once; else wait for a change.
          dcs.awaitChange(since, acted ? Duration.ZERO : nextWait());
        }
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      } finally {
        waiting = false;
        wakeRequested = false;
      }
      if (running) {
        // A wake-up interrupt that came late must not fail the next store or PostgreSQL call.
        Thread.interrupted();
      }
    }
  }

  /** How long to wait for the next cycle: loop_wait, or less when something is scheduled sooner. */
  private Duration nextWait() {
    AgentSnapshot s = state.holdsLock ? snapshots.last() : null;
    OffsetDateTime switchover =
        s == null
            ? null
            : s.view().flatMap(ClusterView::failover).map(Failover::scheduledAt).orElse(null);
    return restarts.nextWait(
        Duration.ofSeconds(config.dynamic().loopWait()), clock.wallMillis(), switchover);
  }

  /** One cycle. Returns true if an action changed something (the next cycle starts at once). */
  boolean cycle() {
    state.sessionRenewed = false;
    state.failsafeActive = false;
    Optional<ClusterView> view = readView();
    config.apply(view);
    HaSettings settings = config.haSettings();
    postgres.nostream(config.local().tags().nostream());
    postgres.standbyCluster(config.dynamic().standby().map(StandbyLeaderExecutor::remotePrimary));
    config.saveDynamic();
    restarts.runDue(settings.paused(), clock.wallMillis());
    return tasks.acting(
        () -> {
          config.applyPendingReload();
          return decideAndAct(view, settings);
        });
  }

  private boolean decideAndAct(Optional<ClusterView> view, HaSettings settings) {
    long sampledAt = clock.nanoTime();
    LocalPostgresState pg = postgres.state();
    state.memory = state.memory.withFailsafeHeartbeat(heartbeats.last());
    if (view.isPresent()) {
      state.memory =
          state.memory.rememberMembers(
              view.get(), clock.nanoTime(), settings.ttlMillis() * 1_000_000L);
    }
    CycleFacts facts = CycleFacts.fresh();
    Decision decision = null;
    boolean acted = false;
    for (int i = 0; i < MAX_DECISIONS_PER_CYCLE && running; i++) {
      LocalState local = locals.local(pg);
      locals.trackPrimaryDown(view, local, clock.nanoTime());
      decision =
          HaDecider.decide(
              new HaInput(
                  view,
                  local,
                  facts,
                  settings,
                  state.memory,
                  clock.nanoTime(),
                  clock.wallMillis()));
      logDecision(decision);
      if (decision.action() instanceof Action.AcquireLock
          && !heartbeats.claim(
              clock.nanoTime(),
              settings.failsafeMode()
                  ? settings.failsafeHeartbeatValidityMillis() * 1_000_000L
                  : 0)) {
        // A failsafe primary's heartbeat was accepted since the decision: keep the promise.
        facts = facts.withLockAcquired(false);
        continue;
      }
      if (decision.action() instanceof Action.ReadView) {
        view = readView();
        facts = facts.withViewReread();
        continue;
      }
      if (decision.action() instanceof Action.CloneFromLeader
          || decision.action() instanceof Action.CloneWithoutLeader) {
        // Known before the copy starts, as with Patroni: the leader creates our replication slot
        // meanwhile, so the new standby streams at once instead of retrying without a slot.
        publisher.publish(view, pg);
      }
      HaExecutor.Outcome outcome;
      try {
        outcome = executor.execute(decision.action(), view, facts);
      } catch (RuntimeException e) {
        log.error("{} failed: {}", decision.action().getClass().getSimpleName(), e.getMessage());
        sampledAt = clock.nanoTime();
        pg = postgres.state();
        break;
      }
      facts = outcome.facts();
      if (outcome.storeLost()) {
        view = Optional.empty();
      }
      if (!outcome.gathering()) {
        acted = !(decision.action() instanceof Action.None);
        if (acted) {
          sampledAt = clock.nanoTime();
          pg = postgres.state();
        }
        break;
      }
      // Only after a fact-gathering step, which leaves PostgreSQL as sampled: after an action the
      // guard is handed the sample taken since (below), never the one from before it (a start
      // that made PostgreSQL writable while the lock was being lost would clear the guard).
      guards.guardLease(settings.paused(), pg);
    }
    if (view.isPresent()) {
      state.memory = state.memory.withWasLeader(state.holdsLock);
    }
    guards.guardLease(settings.paused(), pg);
    heartbeats.holdsLock(state.holdsLock);
    publisher.publish(view, pg);
    snapshots.publish(
        new AgentSnapshot(
            pg,
            view,
            state.holdsLock || state.failsafeActive,
            LocalStates.publishedState(pg, config.dynamic().pause(), tasks.task()),
            state.dcsLastSeenEpochSeconds,
            settings.paused(),
            decision == null ? "" : decision.message(),
            clock.nanoTime(),
            state.failsafeActive),
        sampledAt);
    return acted;
  }

  /**
   * Steps that only gather facts log at debug; a cycle's outcome logs once at info, and again only
   * when it changes, so a steady cluster does not repeat itself every loop.
   */
  private void logDecision(Decision decision) {
    boolean gathering =
        decision.action() instanceof Action.RefreshLock
            || decision.action() instanceof Action.QueryPeers
            || decision.action() instanceof Action.QueryFailsafe
            || decision.action() instanceof Action.RaceInitialize
            || decision.action() instanceof Action.ReadView
            || decision.action() instanceof Action.RepairHistory;
    if (gathering || decision.message().equals(lastMessage)) {
      log.debug("{}", decision.message());
      return;
    }
    log.info("{}", decision.message());
    lastMessage = decision.message();
  }

  private Optional<ClusterView> readView() {
    try {
      ClusterView view = dcs.read();
      state.dcsLastSeenEpochSeconds = clock.wallMillis() / 1000;
      if (view.leader().map(l -> !l.name().equals(config.local().name())).orElse(true)) {
        state.holdsLock = false;
      }
      return Optional.of(view);
    } catch (DcsException e) {
      log.warn("store read failed: {}", e.getMessage());
      return Optional.empty();
    }
  }
}
