package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.TakenTimeline;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.ha.Action;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.ControlData;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.StopMode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of role changes: creating the cluster, promoting, demoting, stepping down for a
 * switchover, and handing the lock back.
 */
final class RoleChanges {

  private static final Logger log = LoggerFactory.getLogger(RoleChanges.class);

  /** How long a switchover waits for a candidate to stream: PostgreSQL's default retry, and 1 s. */
  private static final Duration STREAMING_WAIT = Duration.ofSeconds(6);

  /** How often a switchover checks whether a candidate streams. */
  private static final Duration STREAMING_CHECK = Duration.ofMillis(200);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final AgentConfig config;
  private final LoopState state;
  private final LoopHooks hooks;
  private final LockKeeper lock;
  private final RenewingWorker worker;
  private final ReplicaSetup replicas;
  private final HistoryKeeper history;
  private final TaskRunner runner;
  private final Clock clock;

  RoleChanges(
      Dcs dcs,
      PostgresPort postgres,
      AgentConfig config,
      LoopState state,
      LoopHooks hooks,
      LockKeeper lock,
      RenewingWorker worker,
      ReplicaSetup replicas,
      HistoryKeeper history,
      TaskRunner runner,
      Clock clock) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = config;
    this.state = state;
    this.hooks = hooks;
    this.lock = lock;
    this.worker = worker;
    this.replicas = replicas;
    this.history = history;
    this.runner = runner;
    this.clock = clock;
  }

  void bootstrap() {
    try {
      postgres.bootstrap();
      // Sampled before the key is written: the health checks answer as the primary the moment the
      // key names us (a check right after it appears must see the primary), then the lease guard.
      LocalPostgresState primary = postgres.state();
      // Others see the key before we learn we hold it: health checks wait for the outcome.
      hooks.claimingLock(true);
      try {
        lock.acquireForBootstrap();
        hooks.promoted(primary);
        hooks.leaseRenewed();
      } finally {
        hooks.claimingLock(false);
      }
      String sysid =
          ClusterSeed.seed(
              dcs,
              config,
              state,
              () ->
                  postgres
                      .state()
                      .systemIdentifier()
                      .orElseGet(() -> postgres.controlData().systemIdentifier()));
      log.info("initialized a new cluster {} with system identifier {}", config.scope(), sysid);
    } catch (RuntimeException e) {
      throw ClusterSeed.abandon(dcs, state, e);
    }
  }

  /**
   * Promotes PostgreSQL, numbering the new timeline past {@code reserveThrough} and past the number
   * the store records as taken, and records the number it takes in the store first: a member that
   * promoted and was cut off before any other key named its timeline must not have that number
   * taken again from the same WAL position.
   */
  void promote(Optional<ClusterView> view, long reserveThrough) {
    LocalPostgresState before = postgres.state();
    long oldTimeline = before.timeline().orElse(0);
    long switchLsn = before.server().map(s -> Math.max(s.receiveLsn(), s.replayLsn())).orElse(0L);
    Duration timeout =
        Duration.ofSeconds(Math.max(10, postgres.settings().pgCtlTimeout().toSeconds()));
    try {
      recordTimelineTaken(view, before.timeline(), reserveThrough);
      worker.run("promote", () -> postgres.promote(timeout, hooks::leaseHeld, hooks::promoted));
    } catch (RuntimeException e) {
      // The decider then hands the lock back and keeps out of the race for a ttl.
      state.memory = state.memory.withPromotionFailed(OptionalLong.of(clock.nanoTime()));
      throw e;
    }
    state.following = null;
    view.ifPresent(v -> history.record(v, oldTimeline, switchLsn));
  }

  /**
   * Placeholders past every number taken (the decision's, and the store's record), then the number
   * the promotion takes compare-and-set in the store. The record is first taken from the view the
   * decision saw (no extra read on the way to a promotion): when it has moved on since, the
   * compare-and-set fails and the record is read afresh for a second try. Throws when the number
   * cannot be written: no promotion then.
   */
  private void recordTimelineTaken(
      Optional<ClusterView> view, Optional<Integer> timeline, long reserveThrough) {
    if (view.isPresent() && tryRecordTimelineTaken(view.get(), timeline, reserveThrough)) {
      return;
    }
    if (!tryRecordTimelineTaken(dcs.read(), timeline, reserveThrough)) {
      throw new DcsException(
          "not promoting: the timeline taken, recorded in "
              + ClusterKey.TAKEN_TIMELINE.path()
              + ", changed meanwhile");
    }
  }

  private boolean tryRecordTimelineTaken(
      ClusterView view, Optional<Integer> timeline, long reserveThrough) {
    Optional<TakenTimeline> recorded = view.takenTimeline();
    long next =
        postgres.reserveTimelines(
            timeline, Math.max(reserveThrough, recorded.map(TakenTimeline::timeline).orElse(0L)));
    return dcs.compareAndSet(
        ClusterKey.TAKEN_TIMELINE,
        recorded.map(TakenTimeline::version).orElse(0L),
        Long.toString(next));
  }

  void demote(Action.Demote a, Optional<ClusterView> view) {
    // Stop accepting writes first, whatever follows.
    postgres.stop(StopMode.IMMEDIATE, postgres.settings().pgCtlTimeout());
    state.holdsLock = false;
    state.mayHaveDiverged = true;
    if (a.rejoin() != null && view.isPresent()) {
      replicas.rejoin(view.get(), ReplicaSetup.connection(view.get(), a.rejoin()));
      state.following = a.rejoin();
    } else {
      // Kept as it is, stopped (offline: read-only) until the decider says whom to join.
      postgres.demote(Optional.empty());
      state.following = null;
      if (a.mode() == Action.DemoteMode.OFFLINE) {
        // Cut off from the store, as in Patroni: back up read-only, a standby with no upstream,
        // still serving reads; it follows whichever leader the store names once it is back.
        postgres.start();
      }
    }
  }

  void releaseLock(Action.ReleaseLock a) {
    if (a.startFailed()) {
      postgres.announceDemoted();
    }
    // Never let go while PostgreSQL may still take writes (e.g. running but not answering us).
    if (postgres.isRunning() && postgres.state().role() != PostgresRole.REPLICA) {
      postgres.stop(StopMode.IMMEDIATE, postgres.settings().pgCtlTimeout());
    }
    dcs.release();
    state.holdsLock = false;
  }

  /**
   * A requested switchover: the primary stops cleanly once a candidate streams from it. A clean
   * (fast) shutdown waits for connected standbys to confirm the shutdown checkpoint, so the
   * candidate has every commit and this member can follow it without a rewind. The lock is released
   * at once after the stop, with the final position in {@code status}, so the candidate's watch
   * wakes it straight away.
   */
  void stepDown(Action.StepDown a, ClusterView view) {
    AtomicReference<Set<String>> streaming = new AtomicReference<>(Set.of());
    // A candidate reconnecting (e.g. to a primary restarted a moment ago) streams again within its
    // wal_retrieve_retry_interval: wait that long, renewing the lock, before giving up.
    worker.run(
        "switchover",
        () ->
            within(
                STREAMING_WAIT,
                () -> {
                  Set<String> now = streamingStandbys();
                  streaming.set(now);
                  return a.candidates().stream().anyMatch(now::contains);
                }));
    List<String> ready = a.candidates().stream().filter(streaming.get()::contains).toList();
    if (ready.isEmpty()) {
      log.warn(
          "manual failover: none of {} streams from this primary (streaming: {}), switchover is"
              + " not possible",
          a.candidates(),
          streaming.get());
      clearFailover(view);
      return;
    }
    try {
      // A checkpoint now makes the shutdown checkpoint, and so the write pause, short.
      postgres.checkpoint();
    } catch (RuntimeException e) {
      log.warn("manual failover: CHECKPOINT failed, stopping anyway: {}", e.getMessage());
    }
    hooks.steppingDown();
    postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
    ControlData control = postgres.controlData();
    state.mayHaveDiverged = !control.cleanShutdown();
    long lsn = control.checkpointLocation();
    try {
      if (lsn > 0) {
        dcs.put(ClusterKey.STATUS, ClusterCodec.encodeStatus(lsn, Map.of(), List.of()));
      }
      dcs.release();
    } catch (DcsException e) {
      log.warn("manual failover: could not release the leader lock: {}", e.getMessage());
    }
    state.holdsLock = false;
    log.info(
        "manual failover: stopped at {} ({}), leader lock released for {}",
        control.fields().getOrDefault("Latest checkpoint location", "?"),
        control.cleanShutdown() ? "clean shutdown" : "not a clean shutdown",
        ready);
    // A standby without upstream until the new leader is known: never a second primary.
    postgres.demote(Optional.empty());
    state.following = null;
    state.memory = state.memory.withSteppedDown(true);
  }

  /** Whether {@code condition} holds within {@code timeout}, checked every STREAMING_CHECK. */
  private boolean within(Duration timeout, BooleanSupplier condition) {
    TaskRunner.Signal tick = runner.signal();
    long end = clock.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      long left = end - clock.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        tick.await(tick.count(), Math.min(left, STREAMING_CHECK.toNanos()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** The standbys streaming from this primary now, by application name. */
  private Set<String> streamingStandbys() {
    try {
      // Not the status sample: it reports replication on a primary only.
      return postgres.streamingStandbys();
    } catch (RuntimeException e) {
      log.warn("manual failover: could not read pg_stat_replication: {}", e.getMessage());
      return Set.of();
    }
  }

  void clearFailover(ClusterView view) {
    view.failover()
        .filter(f -> !f.isEmpty())
        .ifPresent(
            f -> {
              try {
                dcs.compareAndSet(
                    ClusterKey.FAILOVER,
                    f.version(),
                    ClusterCodec.encode(new Failover(null, null, null, 0)));
              } catch (DcsException e) {
                log.warn("could not clear the failover key: {}", e.getMessage());
              }
            });
  }
}
