package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.core.ha.Decision;
import io.pgregent.core.ha.HaDecider;
import io.pgregent.core.ha.HaInput;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.LocalState;
import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.ha.ReplicationStatus;
import io.pgregent.core.ha.StandbyLink;
import io.pgregent.core.ha.Upstream;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.StopMode;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.status.ServerStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The HA loop, on one thread: read the cluster, sample PostgreSQL, decide, execute, publish, then
 * wait for {@code loop_wait} or until the store's watch signals a change. Decisions that only
 * gather facts (refresh or take the lock, ask the peers) are followed by another decision in the
 * same cycle; any other action ends the cycle.
 */
public final class HaLoop implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(HaLoop.class);

  /** Patroni's version, which other agents and tools branch on. */
  public static final String PATRONI_VERSION = "4.1.4";

  private static final int MAX_DECISIONS_PER_CYCLE = 8;

  private final Dcs dcs;
  private final PostgresController postgres;

  /** Replaced when the local configuration is reloaded (the parts that apply without restart). */
  private volatile AgentConfig config;

  private final LoopState state = new LoopState();
  private final FailsafeHeartbeats heartbeats;
  private final HaExecutor executor;
  private final PeerClient peers;
  private final LeaseGuard guard;
  private final io.pgregent.agent.watchdog.Watchdog watchdog;
  private final Object fenceLock = new Object();
  private io.pgregent.postgres.fence.FenceProcess fence;
  private long fenceFailedAtNanos = Long.MIN_VALUE;
  private static final Duration FENCE_RETRY = Duration.ofMinutes(1);
  private final AtomicReference<AgentSnapshot> snapshot = new AtomicReference<>();
  private final AtomicReference<AgentSnapshot[]> lapsed = new AtomicReference<>();
  private volatile DynamicConfig dynamic;
  private boolean dynamicApplied;
  private volatile boolean running;
  private volatile boolean waiting;
  private volatile Thread thread;
  private long dcsLastSeenEpochSeconds;
  private String lastMessage = "";
  private final java.util.Map<String, Long> membersSeen = new java.util.HashMap<>();

  /** The slot positions last written to {@code status}. */
  private java.util.Map<String, Long> publishedSlots = java.util.Map.of();

  private final java.util.concurrent.locks.ReentrantLock actionLock =
      new java.util.concurrent.locks.ReentrantLock();
  private volatile String task;
  private volatile long sampledAtNanos;
  private final Object sampleLock = new Object();
  private volatile boolean wakeRequested;
  private volatile ScheduledRestart scheduledRestart;
  private volatile java.util.function.Consumer<ScheduledRestart> restartRunner;

  public HaLoop(
      Dcs dcs, PostgresController postgres, AgentConfig config, FailsafeHeartbeats heartbeats) {
    this.heartbeats = heartbeats;
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = config;
    this.dynamic = DynamicConfig.parse(config.bootstrapDcs()).config();
    // Built now, not on first use: the first use is the leader race, right after the lock expired.
    java.net.http.HttpClient http = MemberHttp.client(config.properties(), Duration.ofSeconds(2));
    this.peers = new PeerClient(Duration.ofSeconds(2), () -> http);
    this.watchdog = new io.pgregent.agent.watchdog.Watchdog(config.lease().watchdog());
    this.executor =
        new HaExecutor(
            dcs,
            postgres,
            config,
            peers,
            state,
            new HaExecutor.Hooks() {
              @Override
              public void steppingDown() {
                publishSteppingDown();
              }

              @Override
              public void leaseRenewed() {
                guardLease(dynamic.pause(), null);
              }

              @Override
              public void promoted(LocalPostgresState pg) {
                publishPromoted(pg);
              }

              @Override
              public int loopWaitSeconds() {
                return dynamic.loopWait();
              }

              @Override
              public boolean mayLead() {
                return guardsReady();
              }

              @Override
              public Duration primaryStartTimeout() {
                return Duration.ofSeconds(dynamic.primaryStartTimeout());
              }

              @Override
              public Optional<io.pgregent.core.config.StandbyCluster> standbyCluster() {
                return dynamic.standby();
              }
            });
    this.guard =
        new LeaseGuard(
            System::nanoTime, () -> postgres.emergencyStop(Duration.ofSeconds(5)), config.name());
    guard.addListener(
        new LeaseGuard.Listener() {
          @Override
          public void renewed(Duration remaining) {
            if (watchdog.activate(dynamic.ttl(), dynamic.loopWait())) {
              watchdog.keepalive();
            }
            fenceKeepAlive(remaining);
          }

          @Override
          public void cleared() {
            watchdog.disable();
            fenceDisarm();
          }
        });
  }

  // ---- the fence: a process beside PostgreSQL that stops it when keep-alives stop ----

  private io.pgregent.agent.config.GuardMode fenceMode() {
    return config.lease().fence().mode();
  }

  /** The running fence, started (or adopted) if there is none; null when it cannot run. */
  private io.pgregent.postgres.fence.FenceProcess fence() {
    if (fenceMode() == io.pgregent.agent.config.GuardMode.OFF) {
      return null;
    }
    synchronized (fenceLock) {
      if (fence != null && fence.isAlive()) {
        return fence;
      }
      // A fence that cannot start is tried again once a minute, not in every cycle.
      if (fenceFailedAtNanos != Long.MIN_VALUE
          && System.nanoTime() - fenceFailedAtNanos < FENCE_RETRY.toNanos()) {
        return null;
      }
      try {
        fence =
            io.pgregent.postgres.fence.FenceProcess.startOrAdopt(
                config.lease().fence().dir(), postgres.dataDir(), postgres.osUser());
        log.info("fence running (pid {}) in {}", fence.pid(), config.lease().fence().dir());
      } catch (RuntimeException e) {
        fence = null;
        fenceFailedAtNanos = System.nanoTime();
        if (fenceMode() == io.pgregent.agent.config.GuardMode.REQUIRED) {
          log.error("the fence cannot run, and regent.fence.mode is required: {}", e.getMessage());
        } else {
          log.warn("running without a fence: {}", e.getMessage());
        }
      }
      return fence;
    }
  }

  private void fenceKeepAlive(Duration remaining) {
    io.pgregent.postgres.fence.FenceProcess f = fence();
    if (f == null) {
      return;
    }
    try {
      f.keepAlive(remaining);
    } catch (RuntimeException e) {
      log.warn("fence keep-alive failed: {}", e.getMessage());
      io.pgregent.postgres.fence.FenceProcess again = fence();
      if (again != null && again != f) {
        again.keepAlive(remaining);
      }
    }
  }

  private void fenceDisarm() {
    synchronized (fenceLock) {
      if (fence != null && fence.isAlive()) {
        try {
          fence.disarm();
        } catch (RuntimeException e) {
          log.warn("could not disarm the fence: {}", e.getMessage());
        }
      }
    }
  }

  /** On a clean stop: the fence exits (PostgreSQL is stopped, or left to the operator in pause). */
  private void stopFence() {
    synchronized (fenceLock) {
      if (fence != null) {
        try {
          fence.stop();
        } catch (RuntimeException e) {
          log.warn("could not stop the fence: {}", e.getMessage());
        }
        fence = null;
      }
    }
  }

  /**
   * Whether this member may take or keep the leader lock as far as the fence and the watchdog go:
   * in {@code required} mode only with a running fence, and a watchdog armed for the ttl in force.
   */
  private boolean guardsReady() {
    if (dynamic.pause()) {
      // In pause nothing is enforced, and the watchdog stays disabled.
      return true;
    }
    if (fenceMode() == io.pgregent.agent.config.GuardMode.REQUIRED && fence() == null) {
      log.warn("the fence is not running: not taking or keeping the leader lock");
      return false;
    }
    if (watchdog.mode() != io.pgregent.agent.config.GuardMode.REQUIRED) {
      return true;
    }
    if (!watchdog.activate(dynamic.ttl(), dynamic.loopWait())) {
      log.warn("Watchdog device is not usable");
      return false;
    }
    return true;
  }

  /** The watchdog, for {@code /patroni}'s {@code watchdog_failed}. */
  public io.pgregent.agent.watchdog.Watchdog watchdog() {
    return watchdog;
  }

  /**
   * Whether a primary restarted by a task may come back writable: it still holds a lease, or the
   * cluster is paused (nothing is enforced then).
   */
  public boolean mayStayPrimary() {
    return guard.valid() || dynamic.pause();
  }

  /** The leader's lease deadline, enforced on its own thread. */
  public LeaseGuard leaseGuard() {
    return guard;
  }

  /** The client for other members' REST APIs, shared with the REST API's switchover checks. */
  public PeerClient peers() {
    return peers;
  }

  /**
   * The last published snapshot, empty before the first cycle completed. Once the lease deadline
   * passed without a renewal, it no longer says we hold the lock, even while the loop is stuck:
   * write-routing health checks must not outlive the lease.
   */
  public Optional<AgentSnapshot> snapshot() {
    return leased(snapshot.get());
  }

  private Optional<AgentSnapshot> leased(AgentSnapshot s) {
    if (s == null || !s.holdsLock() || s.paused() || guard.valid()) {
      return Optional.ofNullable(s);
    }
    AgentSnapshot[] known = lapsed.get();
    if (known != null && known[0] == s) {
      return Optional.of(known[1]);
    }
    AgentSnapshot without = s.withoutLock();
    lapsed.set(new AgentSnapshot[] {s, without});
    return Optional.of(without);
  }

  /**
   * The last snapshot with a PostgreSQL sample no older than {@code maxAge}, sampling again if it
   * is: members racing for the lock compare WAL positions, which must be current (a replica's loop
   * may last have run a loop_wait ago).
   */
  public Optional<AgentSnapshot> freshSnapshot(Duration maxAge) {
    return sampledSince(System.nanoTime() - maxAge.toNanos());
  }

  /**
   * The last snapshot with a PostgreSQL sample begun at {@code sinceNanos} or later, sampling again
   * if it is older: a request answers about PostgreSQL as it was when the request came, while
   * concurrent requests share one sample.
   */
  public Optional<AgentSnapshot> sampledSince(long sinceNanos) {
    AgentSnapshot s = snapshot.get();
    if (s == null || sampledAtNanos - sinceNanos >= 0) {
      return leased(s);
    }
    synchronized (sampleLock) {
      s = snapshot.get();
      if (sampledAtNanos - sinceNanos >= 0) {
        return leased(s);
      }
      long at = System.nanoTime();
      LocalPostgresState pg;
      try {
        pg = postgres.state();
      } catch (RuntimeException e) {
        return leased(s);
      }
      AgentSnapshot fresh =
          new AgentSnapshot(
              pg,
              s.view(),
              s.holdsLock(),
              s.state().equals("stopping") ? s.state() : stateName(pg, s.paused()),
              s.dcsLastSeenEpochSeconds(),
              s.paused(),
              s.message(),
              s.completedAtNanos(),
              s.failsafeActive());
      // The loop may have published meanwhile: its snapshot wins.
      if (snapshot.compareAndSet(s, fresh)) {
        sampledAtNanos = at;
        return leased(fresh);
      }
      return leased(snapshot.get());
    }
  }

  public AgentConfig config() {
    return config;
  }

  private volatile java.util.function.IntConsumer onFatal;

  /**
   * What to do when the agent cannot go on (a failed bootstrap): the launcher exits the process
   * with the code given; without it the loop just stops. Called at once if that already happened.
   */
  public void onFatal(java.util.function.IntConsumer exit) {
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
   * status document show them from the next cycle on); other sections need a restart of the agent.
   */
  public void reloadLocal(AgentConfig fresh) {
    AgentConfig current = config;
    if (!fresh.tags().equals(current.tags())) {
      log.info("tags changed on reload: {}", fresh.tags().published());
      config = current.withTags(fresh.tags());
      wake();
    }
  }

  public int ttlSeconds() {
    return dynamic.ttl();
  }

  /** The loop_wait in force, which may be lower than the configured one. */
  public int loopWaitSeconds() {
    return dynamic.loopWait();
  }

  /** Whether the cluster-wide configuration turns DCS failsafe mode on. */
  public boolean failsafeMode() {
    return dynamic.failsafeMode();
  }

  // ---- tasks: long operations requested through the REST API ----

  /** Thrown when another task runs already. */
  public static final class TaskBusyException extends Exception {
    public TaskBusyException(String task) {
      super(task + " already in progress");
    }
  }

  /** The long operation in progress, if any. */
  public Optional<String> task() {
    return Optional.ofNullable(task);
  }

  /**
   * Runs {@code work} as a task on the calling thread: the loop takes no action on PostgreSQL while
   * it runs (a leader keeps refreshing its lock), and looks again as soon as it ends.
   */
  public <T> T runTask(String name, java.util.concurrent.Callable<T> work) throws Exception {
    claimTask(name);
    try {
      return work.call();
    } finally {
      endTask();
    }
  }

  /** Starts {@code work} as a task on its own thread and returns at once. */
  public void startTask(String name, Runnable work) throws TaskBusyException {
    claimTask(name);
    Thread t =
        new Thread(
            () -> {
              try {
                work.run();
              } catch (RuntimeException e) {
                log.error("{} failed: {}", name, e.getMessage());
              } finally {
                endTask();
              }
            },
            name + "-" + config.name());
    t.setDaemon(true);
    t.start();
  }

  private void claimTask(String name) throws TaskBusyException {
    // The loop acts under this lock and reads the task under it: never both at once.
    actionLock.lock();
    try {
      if (task != null) {
        throw new TaskBusyException(task);
      }
      task = name;
    } finally {
      actionLock.unlock();
    }
  }

  private void endTask() {
    task = null;
    wake();
  }

  /** Makes a waiting loop run its next cycle now. */
  public void wake() {
    wakeRequested = true;
    Thread t = thread;
    if (t != null && waiting) {
      t.interrupt();
    }
  }

  // ---- scheduled restart ----

  /**
   * A restart to run at {@code at} when its conditions still hold then ({@code filters}: Patroni's
   * role, postgres_version, restart_pending); published in the member key.
   */
  public record ScheduledRestart(
      java.time.OffsetDateTime at, ObjectNode filters, String postmasterStartTime) {}

  public Optional<ScheduledRestart> scheduledRestart() {
    return Optional.ofNullable(scheduledRestart);
  }

  /** Schedules a restart; false when one is scheduled already. */
  public synchronized boolean scheduleRestart(ScheduledRestart restart) {
    if (scheduledRestart != null) {
      return false;
    }
    scheduledRestart = restart;
    wake();
    return true;
  }

  /** Cancels the scheduled restart; false when none was scheduled. */
  public synchronized boolean cancelScheduledRestart() {
    boolean had = scheduledRestart != null;
    scheduledRestart = null;
    return had;
  }

  /** Set by the REST API: runs a due scheduled restart whose conditions hold. */
  public void onScheduledRestart(java.util.function.Consumer<ScheduledRestart> runner) {
    this.restartRunner = runner;
  }

  private void runDueRestart(boolean paused) {
    ScheduledRestart r = scheduledRestart;
    if (r == null || paused || System.currentTimeMillis() < r.at().toInstant().toEpochMilli()) {
      return;
    }
    synchronized (this) {
      if (scheduledRestart != r) {
        return;
      }
      scheduledRestart = null;
    }
    java.util.function.Consumer<ScheduledRestart> runner = restartRunner;
    if (runner != null) {
      runner.accept(r);
    }
  }

  /** How long to wait for the next cycle: loop_wait, or less when something is scheduled sooner. */
  private Duration nextWait() {
    long wait = Duration.ofSeconds(dynamic.loopWait()).toMillis();
    long now = System.currentTimeMillis();
    ScheduledRestart r = scheduledRestart;
    if (r != null) {
      wait = Math.min(wait, r.at().toInstant().toEpochMilli() - now);
    }
    if (state.holdsLock) {
      AgentSnapshot s = snapshot.get();
      java.time.OffsetDateTime at =
          s == null
              ? null
              : s.view()
                  .flatMap(ClusterView::failover)
                  .map(io.pgregent.core.cluster.Failover::scheduledAt)
                  .orElse(null);
      if (at != null) {
        wait = Math.min(wait, at.toInstant().toEpochMilli() - now);
      }
    }
    return Duration.ofMillis(Math.max(0, wait));
  }

  // ---- lifecycle ----

  @Override
  public void start() {
    fence();
    running = true;
    Thread t = new Thread(this::run, "ha-loop-" + config.name());
    t.setDaemon(false);
    thread = t;
    t.start();
    // Our REST API is up (we start after the web server): warm both ends of member-to-member TLS.
    peers.warmUp(config.restapi().apiUrl());
  }

  @Override
  public void stop() {
    running = false;
    Thread t = thread;
    if (t != null) {
      // Wake the loop only while it waits: an interrupt in the middle of a store or PostgreSQL
      // call would turn into a failed action, and the loop must not act on that.
      if (waiting) {
        t.interrupt();
      }
      try {
        t.join(Duration.ofSeconds(60).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    shutdown();
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
          log.error(io.pgregent.agent.logging.Critical.MARKER, state.fatal);
          java.util.function.IntConsumer exit = onFatal;
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

  /** One cycle. Returns true if an action changed something (the next cycle starts at once). */
  boolean cycle() {
    state.sessionRenewed = false;
    state.failsafeActive = false;
    Optional<ClusterView> view = readView();
    if (!dynamicApplied) {
      // PostgreSQL gets the cluster-wide parameters before anything starts it, bootstrap included.
      applyPostgres(dynamic);
      dynamicApplied = true;
    }
    view.flatMap(ClusterView::config).ifPresent(c -> applyDynamic(c.settings()));
    saveDynamic();
    HaSettings settings =
        dynamic
            .haSettings(config.name(), config.tags().nofailover(), config.tags().failoverPriority())
            .withReplicationTags(config.tags().replicatefrom(), config.tags().nostream())
            .withCloneWithoutLeader(
                postgres != null
                    && postgres.settings().createReplicaMethods().stream()
                        .anyMatch(postgres::canCloneWithoutLeader));
    postgres.nostream(config.tags().nostream());
    postgres.standbyCluster(dynamic.standby().map(StandbyLeaderExecutor::remotePrimary));
    runDueRestart(settings.paused());
    actionLock.lock();
    try {
      return decideAndAct(view, settings);
    } finally {
      actionLock.unlock();
    }
  }

  private boolean decideAndAct(Optional<ClusterView> view, HaSettings settings) {
    long sampledAt = System.nanoTime();
    LocalPostgresState pg = postgres.state();
    state.memory = state.memory.withFailsafeHeartbeat(heartbeats.last());
    if (view.isPresent()) {
      state.memory =
          state.memory.rememberMembers(
              view.get(), System.nanoTime(), settings.ttlMillis() * 1_000_000L);
    }
    CycleFacts facts = CycleFacts.fresh();
    Decision decision = null;
    boolean acted = false;
    for (int i = 0; i < MAX_DECISIONS_PER_CYCLE && running; i++) {
      LocalState local = local(pg);
      trackPrimaryDown(view, local);
      decision =
          HaDecider.decide(
              new HaInput(
                  view,
                  local,
                  facts,
                  settings,
                  state.memory,
                  System.nanoTime(),
                  System.currentTimeMillis()));
      logDecision(decision);
      if (decision.action() instanceof Action.AcquireLock
          && !heartbeats.claim(
              System.nanoTime(),
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
        publishMember(view, pg);
      }
      HaExecutor.Outcome outcome;
      try {
        outcome = executor.execute(decision.action(), view, facts);
      } catch (RuntimeException e) {
        log.error("{} failed: {}", decision.action().getClass().getSimpleName(), e.getMessage());
        sampledAt = System.nanoTime();
        pg = postgres.state();
        break;
      }
      facts = outcome.facts();
      guardLease(settings.paused(), pg);
      if (outcome.storeLost()) {
        view = Optional.empty();
      }
      if (!outcome.gathering()) {
        acted = !(decision.action() instanceof Action.None);
        if (acted) {
          sampledAt = System.nanoTime();
          pg = postgres.state();
        }
        break;
      }
    }
    if (view.isPresent()) {
      state.memory = state.memory.withWasLeader(state.holdsLock);
    }
    guardLease(settings.paused(), pg);
    heartbeats.holdsLock(state.holdsLock);
    publishMember(view, pg);
    sampledAtNanos = sampledAt;
    snapshot.set(
        new AgentSnapshot(
            pg,
            view,
            state.holdsLock || state.failsafeActive,
            stateName(pg, dynamic.pause()),
            dcsLastSeenEpochSeconds,
            settings.paused(),
            decision == null ? "" : decision.message(),
            System.nanoTime(),
            state.failsafeActive));
    return acted;
  }

  /**
   * Hands a renewal to the lease guard, or tells it we vouch for no lease: in pause (nothing is
   * stopped automatically then), or once PostgreSQL is no longer a writable primary and the lock is
   * not ours. A primary that lost its lock keeps its deadline: if the demotion does not happen in
   * time, the guard stops it.
   */
  private void guardLease(boolean paused, LocalPostgresState pg) {
    long vouched = state.leaseVouchedAtNanos;
    state.leaseVouchedAtNanos = Long.MIN_VALUE;
    if (paused) {
      guard.clear();
    } else if (vouched != Long.MIN_VALUE && (state.holdsLock || state.failsafeActive)) {
      Duration ttl = dcs.timings().ttl();
      Duration margin =
          watchdog.isActive()
              ? Duration.ofSeconds(watchdog.settings().safetyMarginSeconds((int) ttl.toSeconds()))
              : LeaseGuard.defaultMargin(ttl);
      guard.renewed(vouched, dcs.leaseDuration(), margin);
    } else if (pg != null
        && !state.holdsLock
        && !state.failsafeActive
        && !pg.server().map(s -> !s.inRecovery()).orElse(pg.runState() == RunState.RUNNING)) {
      guard.clear();
    }
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
      dcsLastSeenEpochSeconds = System.currentTimeMillis() / 1000;
      if (view.leader().map(l -> !l.name().equals(config.name())).orElse(true)) {
        state.holdsLock = false;
      }
      return Optional.of(view);
    } catch (DcsException e) {
      log.warn("store read failed: {}", e.getMessage());
      return Optional.empty();
    }
  }

  private String savedDynamic;

  /** {@code patroni.dynamic.json}, written when the configuration or the data directory is new. */
  private void saveDynamic() {
    String json = ClusterCodec.json(dynamic.data());
    try {
      if (!json.equals(savedDynamic)
          || !java.nio.file.Files.exists(postgres.dataDir().resolve("patroni.dynamic.json"))) {
        postgres.saveDynamicConfig(json);
        savedDynamic = json;
      }
    } catch (RuntimeException e) {
      log.debug("could not save patroni.dynamic.json: {}", e.getMessage());
    }
  }

  private void applyDynamic(DynamicConfig next) {
    if (next.data().equals(dynamic.data())) {
      return;
    }
    dynamic = next;
    Timings timings = next.timings();
    timings.warning().ifPresent(log::warn);
    dcs.setTimings(timings.dcsTimings());
    applyPostgres(next);
  }

  /** What PostgreSQL takes from the dynamic configuration. */
  static DynamicPostgresConfig postgresConfig(DynamicConfig config) {
    DynamicConfig.Postgresql pg = config.postgresql();
    return new DynamicPostgresConfig(
        pg.parameters(),
        pg.usePgRewind(),
        pg.useSlots(),
        config.physicalSlots(),
        config.logicalSlots());
  }

  private void applyPostgres(DynamicConfig config) {
    try {
      if (postgres.configure(postgresConfig(config))) {
        log.info("applied the cluster-wide PostgreSQL configuration");
      }
    } catch (RuntimeException e) {
      log.warn("could not apply the cluster-wide PostgreSQL configuration: {}", e.getMessage());
    }
  }

  private void trackPrimaryDown(Optional<ClusterView> view, LocalState local) {
    boolean leader = view.map(v -> v.isLockedBy(config.name())).orElse(false);
    if (leader && local.run() != PostgresRunState.RUNNING) {
      if (state.memory.primaryDownSinceNanos().isEmpty()) {
        state.memory = state.memory.withPrimaryDownSince(OptionalLong.of(System.nanoTime()));
      }
    } else if (state.memory.primaryDownSinceNanos().isPresent()) {
      state.memory = state.memory.withPrimaryDownSince(OptionalLong.empty());
    }
  }

  LocalState local(LocalPostgresState pg) {
    PostgresRunState run;
    if (!pg.dataDirectoryInitialized()) {
      run = PostgresRunState.NO_DATA;
    } else if (pg.runState() == RunState.RUNNING) {
      run = pg.server().isPresent() ? PostgresRunState.RUNNING : PostgresRunState.STARTING;
    } else if (pg.runState() == RunState.CRASHED) {
      run = PostgresRunState.CRASHED;
    } else {
      run = PostgresRunState.STOPPED;
    }
    Optional<ServerStatus> s = pg.server();
    boolean inRecovery =
        s.map(ServerStatus::inRecovery)
            .orElse(pg.role() == io.pgregent.postgres.PostgresRole.REPLICA);
    long wal =
        s.map(x -> x.inRecovery() ? Math.max(x.receiveLsn(), x.replayLsn()) : x.currentLsn())
            .orElse(0L);
    Optional<String> sysid = pg.systemIdentifier();
    if (sysid.isEmpty() && pg.dataDirectoryInitialized() && run != PostgresRunState.RUNNING) {
      try {
        String id = postgres.controlData().systemIdentifier();
        sysid = id.isEmpty() ? Optional.empty() : Optional.of(id);
      } catch (RuntimeException e) {
        sysid = Optional.empty();
      }
    }
    return new LocalState(
        run,
        inRecovery,
        sysid,
        s.map(ServerStatus::timeline).orElse(0),
        wal,
        Optional.ofNullable(state.following),
        s.map(ServerStatus::streaming).orElse(false),
        Optional.ofNullable(task),
        replication(s));
  }

  /** A primary's standbys and the {@code synchronous_standby_names} we put in force. */
  private ReplicationStatus replication(Optional<ServerStatus> server) {
    boolean primary = server.map(x -> !x.inRecovery()).orElse(false);
    if (!primary) {
      state.syncMark = -1;
      return new ReplicationStatus(postgres.synchronousStandbyNames(), -1, List.of());
    }
    if (state.syncMark < 0) {
      state.syncMark = server.get().currentLsn();
    }
    boolean apply =
        dynamic
            .data()
            .path("postgresql")
            .path("parameters")
            .path("synchronous_commit")
            .asText("")
            .trim()
            .equalsIgnoreCase("remote_apply");
    List<StandbyLink> links =
        server.get().replication().stream()
            .filter(r -> r.applicationName() != null && !r.applicationName().isBlank())
            .map(
                r ->
                    new StandbyLink(
                        r.applicationName(),
                        r.state(),
                        r.syncState(),
                        r.flushLsn(),
                        apply ? r.replayLsn() : r.flushLsn()))
            .toList();
    return new ReplicationStatus(postgres.synchronousStandbyNames(), state.syncMark, links);
  }

  // ---- what we publish ----

  private void publishMember(Optional<ClusterView> view, LocalPostgresState pg) {
    if (view.isEmpty()) {
      return;
    }
    try {
      long now = System.nanoTime();
      if (!state.sessionRenewed
          && renewalDue(
              now - state.sessionRenewedAtNanos,
              dynamic.ttl(),
              dynamic.loopWait(),
              dynamic.retryTimeout())) {
        dcs.renewSession();
        state.renewed(now);
      }
      dcs.touchMember(Member.of(config.name(), memberDocument(pg)));
      rememberMembers(view.get());
      if (state.holdsLock
          && pg.server().map(s -> !s.inRecovery() || standbyLeader(pg)).orElse(false)) {
        // The standby leader, too, records its cluster and keeps slots for its standbys.
        adoptCluster(view.get(), pg.server().get().systemIdentifier());
        syncSlots(view.get());
        publishFailsafe(view.get());
        ServerStatus server = pg.server().get();
        long optime =
            server.inRecovery()
                ? Math.max(server.receiveLsn(), server.replayLsn())
                : server.currentLsn();
        java.util.Map<String, Long> slots = slotPositions(optime);
        if (view.get().status().map(st -> st.optime() != optime).orElse(true)
            || !slots.equals(publishedSlots)) {
          dcs.put(ClusterKey.STATUS, ClusterCodec.encodeStatus(optime, slots, java.util.List.of()));
          publishedSlots = slots;
        }
      } else if (pg.server().map(s -> s.inRecovery()).orElse(false)) {
        syncCascadingSlots(view.get());
      }
    } catch (DcsException e) {
      log.warn("could not publish member state: {}", e.getMessage());
    }
  }

  /**
   * Whether a member that holds no lock must renew its lease now, {@code sinceNanos} after the last
   * renewal. The lease carries only its member key, so it is renewed only when waiting would leave
   * too little of the ttl for the next cycle (up to loop_wait away, plus retry_timeout of retries,
   * plus a second): every cycle at Patroni's defaults, every other one at ttl=10/loop_wait=2. A
   * leader renews in every cycle, and a member renews before it takes the lock.
   */
  static boolean renewalDue(long sinceNanos, int ttl, int loopWait, int retryTimeout) {
    if (sinceNanos < 0) {
      return true; // never renewed (the difference overflowed)
    }
    long slackSeconds = (long) ttl - loopWait - retryTimeout - 1;
    return slackSeconds <= 0 || sinceNanos >= slackSeconds * 1_000_000_000L;
  }

  /**
   * A running primary that took the lock of a cluster the store does not know yet (an existing
   * primary adopted as it is): record its system identifier and the initial configuration, as a
   * bootstrap would have.
   */
  private void adoptCluster(ClusterView view, String systemIdentifier) {
    if (view.initialize().isEmpty()
        && dcs.compareAndSet(ClusterKey.INITIALIZE, 0, systemIdentifier)) {
      log.info("adopted the running cluster with system identifier {}", systemIdentifier);
    }
    if (view.config().isEmpty() && view.malformedKeys().stream().noneMatch("config"::equals)) {
      dcs.compareAndSet(ClusterKey.CONFIG, 0, ClusterCodec.json(config.bootstrapDcs()));
    }
  }

  /**
   * In failsafe mode the leader keeps every member's REST address in the store, and remembers them:
   * cut off from the store, these are the members it must hear from to stay primary.
   */
  private void publishFailsafe(ClusterView view) {
    if (!dynamic.failsafeMode()) {
      state.failsafeMembers = java.util.Map.of();
      state.failsafeListed = false;
      return;
    }
    java.util.Map<String, String> all = new java.util.TreeMap<>();
    view.members().values().forEach(m -> m.apiUrl().ifPresent(u -> all.put(m.name(), u)));
    all.put(config.name(), config.restapi().apiUrl());
    java.util.Map<String, String> current =
        view.failsafe().map(f -> f.members()).orElse(java.util.Map.of());
    if (!current.equals(all)) {
      dcs.put(
          ClusterKey.FAILSAFE, ClusterCodec.encode(new io.pgregent.core.cluster.Failsafe(all, 0)));
    }
    java.util.Map<String, String> others = new java.util.TreeMap<>(all);
    others.remove(config.name());
    state.failsafeMembers = java.util.Map.copyOf(others);
    state.failsafeListed = true;
  }

  /** Members seen lately keep their replication slot, so that a restarted one can catch up. */
  private void rememberMembers(ClusterView view) {
    long now = System.nanoTime();
    view.members().keySet().forEach(m -> membersSeen.put(m, now));
    long keep = Duration.ofSeconds(dynamic.memberSlotsTtl()).toNanos();
    membersSeen.values().removeIf(seen -> now - seen > keep);
  }

  /**
   * The leader keeps a slot for every member seen lately but those tagged {@code nostream} (they
   * never stream); the slot of a member streaming from another member follows the position it
   * reports.
   */
  private void syncSlots(ClusterView view) {
    try {
      java.util.Set<String> members = new java.util.HashSet<>(membersSeen.keySet());
      java.util.Map<String, Long> cascading = new java.util.HashMap<>();
      for (Member m : view.members().values()) {
        if (Upstream.tag(m, "nostream")) {
          members.remove(m.name());
        } else if (Upstream.replicatefrom(m)
            .filter(from -> !from.equals(config.name()) && view.member(from).isPresent())
            .isPresent()) {
          cascading.put(m.name(), m.xlogLocation().orElse(0L));
        }
      }
      postgres.syncReplicationSlots(members, cascading);
    } catch (RuntimeException e) {
      log.warn("could not manage replication slots: {}", e.getMessage());
    }
  }

  /**
   * What the leader publishes in {@code status.slots}: the position of each of its slots and its
   * own, so that members keeping copies of them can follow (as Patroni's members read them).
   */
  private java.util.Map<String, Long> slotPositions(long optime) {
    java.util.Map<String, Long> slots = new java.util.TreeMap<>();
    if (!dynamic.postgresql().useSlots()) {
      return slots;
    }
    try {
      slots.putAll(postgres.slotPositions());
    } catch (RuntimeException e) {
      log.debug("could not read the replication slots: {}", e.getMessage());
    }
    slots.put(io.pgregent.postgres.SlotNames.forMember(config.name()), optime);
    return slots;
  }

  /** A replica keeps the slots of the members streaming from it (tag {@code replicatefrom}). */
  private void syncCascadingSlots(ClusterView view) {
    try {
      java.util.Set<String> members = new java.util.HashSet<>();
      String leader = view.leader().map(l -> l.name()).orElse(null);
      for (Member m : view.members().values()) {
        if (!m.name().equals(leader)
            && !Upstream.tag(m, "nostream")
            && Upstream.replicatefrom(m).map(config.name()::equals).orElse(false)) {
          members.add(m.name());
        }
      }
      postgres.syncCascadingSlots(members);
    } catch (RuntimeException e) {
      log.warn("could not manage replication slots: {}", e.getMessage());
    }
  }

  /** A running standby holding the lock of a standby cluster. */
  private boolean standbyLeader(LocalPostgresState pg) {
    return state.holdsLock
        && dynamic.isStandbyCluster()
        && pg.server().map(ServerStatus::inRecovery).orElse(false);
  }

  ObjectNode memberDocument(LocalPostgresState pg) {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.put("conn_url", "postgres://" + config.postgresql().connectAddress() + "/postgres");
    doc.put("api_url", config.restapi().apiUrl());
    doc.put("state", stateName(pg, dynamic.pause()));
    String role =
        pg.server()
            .map(s -> s.inRecovery() ? standbyLeader(pg) ? "standby_leader" : "replica" : "primary")
            .orElse(pg.dataDirectoryInitialized() ? pg.role().patroniName() : "uninitialized");
    doc.put("role", role.equals("unknown") ? "uninitialized" : role);
    doc.put("version", PATRONI_VERSION);
    doc.put("regent_version", RegentVersion.current());
    pg.server()
        .ifPresent(
            s -> {
              if (s.inRecovery()) {
                long position = Math.max(s.receiveLsn(), s.replayLsn());
                doc.put("xlog_location", position);
                if (s.replayLsn() >= 0) {
                  doc.put("replay_lsn", s.replayLsn());
                }
                if (s.receiveLsn() >= 0) {
                  doc.put("receive_lsn", s.receiveLsn());
                }
                doc.put("replication_state", s.streaming() ? "streaming" : "in archive recovery");
              } else {
                doc.put("xlog_location", s.currentLsn());
              }
              doc.put("timeline", s.timeline());
            });
    java.util.Map<String, Object> published = config.tags().published();
    if (!published.isEmpty()) {
      ObjectNode tags = doc.putObject("tags");
      published.forEach((k, v) -> tags.putPOJO(k, v));
    }
    if (pg.pendingRestart()) {
      doc.put("pending_restart", true);
    }
    if (dynamic.pause()) {
      doc.put("pause", true);
    }
    ScheduledRestart restart = scheduledRestart;
    if (restart != null) {
      ObjectNode r = doc.putObject("scheduled_restart");
      r.put(
          "schedule",
          restart
              .at()
              .format(java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx")));
      r.setAll(restart.filters());
      if (restart.postmasterStartTime() != null) {
        r.put("postmaster_start_time", restart.postmasterStartTime());
      }
    }
    return doc;
  }

  /**
   * A promoted PostgreSQL accepts writes, as {@code pg} (the sample that showed it) says: health
   * checks say "primary" from now on. They still need the lock and a lease the guard vouches for.
   */
  private void publishPromoted(LocalPostgresState pg) {
    AgentSnapshot s = snapshot.get();
    snapshot.set(
        new AgentSnapshot(
            pg,
            s == null ? Optional.empty() : s.view(),
            state.holdsLock,
            stateName(pg, dynamic.pause()),
            dcsLastSeenEpochSeconds,
            s != null && s.paused(),
            "promoted self to leader",
            System.nanoTime()));
    log.info("PostgreSQL accepts writes: answering as the primary");
  }

  /** Before a switchover stops PostgreSQL: peers and health checks must no longer see a primary. */
  private void publishSteppingDown() {
    AgentSnapshot s = snapshot.get();
    if (s != null) {
      snapshot.set(
          new AgentSnapshot(
              s.postgres(),
              s.view(),
              false,
              "stopping",
              s.dcsLastSeenEpochSeconds(),
              s.paused(),
              "manual failover: demoting myself",
              System.nanoTime()));
    }
  }

  static String stateName(LocalPostgresState pg, boolean paused) {
    if (!pg.dataDirectoryInitialized()) {
      return "stopped";
    }
    return switch (pg.runState()) {
      case RUNNING -> pg.server().isPresent() ? "running" : "starting";
      // In pause the operator owns PostgreSQL: however it went down, it is stopped, not crashed
      // (nothing will recover it until the operator starts it).
      case CRASHED -> paused ? "stopped" : "crashed";
      default -> "stopped";
    };
  }

  // ---- shutdown ----

  /** On SIGTERM: stop PostgreSQL and, as leader, release the lock so failover starts at once. */
  private void shutdown() {
    if (dynamic.pause()) {
      // Maintenance mode: the operator owns PostgreSQL; it keeps running, and so does its lock
      // until the lease expires. The guards stand down.
      log.info("Leader key is not deleted and Postgresql is not stopped due paused state");
      guard.clear();
      guard.close();
      executor.close();
      watchdog.close();
      stopFence();
      return;
    }
    try {
      if (postgres.isRunning()) {
        postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
      }
    } catch (RuntimeException e) {
      log.warn("stopping PostgreSQL at shutdown failed: {}", e.getMessage());
    }
    if (!postgres.isRunning()) {
      guard.clear();
    }
    // Peers racing for the lock ask our REST API: it must no longer say "primary".
    snapshot()
        .ifPresent(
            s ->
                snapshot.set(
                    new AgentSnapshot(
                        postgres.state(),
                        s.view(),
                        false,
                        "stopped",
                        s.dcsLastSeenEpochSeconds(),
                        s.paused(),
                        "shutting down",
                        System.nanoTime())));
    try {
      // Release only once PostgreSQL is down, whatever the loop last knew of the lock: release()
      // deletes the key only if it holds our name.
      if (postgres.isRunning()) {
        log.error(
            "PostgreSQL is still running at shutdown: keeping the leader lock until it expires");
      } else if (dcs.release()) {
        log.info("released the leader lock at shutdown");
      }
      dcs.deleteMember();
    } catch (DcsException e) {
      log.warn("could not clean up the store at shutdown: {}", e.getMessage());
    }
    guard.close();
    executor.close();
    watchdog.close();
    if (!postgres.isRunning()) {
      stopFence();
    }
  }
}
