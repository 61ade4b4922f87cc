package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.PostmasterStillPresentException;
import io.pgregent.postgres.StopMode;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the decider's actions against the store and PostgreSQL. Thin: every choice was made
 * by the decider; this only does IO and reports what happened.
 */
final class HaExecutor {

  private static final Logger log = LoggerFactory.getLogger(HaExecutor.class);
  private static final Duration LONG_TASK = Duration.ofMinutes(30);

  /**
   * What executing an action changed.
   *
   * @param facts the cycle's facts with the action's outcome
   * @param gathering the action only gathered facts: decide again in this cycle
   * @param storeLost the store stopped answering: decide again as without a view
   */
  record Outcome(CycleFacts facts, boolean gathering, boolean storeLost) {
    Outcome(CycleFacts facts, boolean gathering) {
      this(facts, gathering, false);
    }
  }

  private final Dcs dcs;
  private final PostgresController postgres;
  private final AgentConfig config;
  private final PeerClient peers;
  private final FailsafeClient failsafe;
  private final LoopState state;

  /** What the loop hears from the executor in the middle of an action. */
  interface Hooks {
    /** A switchover is about to stop PostgreSQL: stop saying "primary". */
    void steppingDown();

    /** The lock was renewed during a long action: hand the renewal to the lease guard now. */
    void leaseRenewed();

    /** A promoted PostgreSQL accepts writes, as {@code pg} shows: say "primary" now. */
    void promoted(io.pgregent.postgres.LocalPostgresState pg);

    /** How long the loop waits between cycles, in seconds. */
    int loopWaitSeconds();

    /** Whether this member may take or keep the lock (a required watchdog is usable). */
    boolean mayLead();

    /** How long a crashed primary may take to start before it hands the lock on. */
    Duration primaryStartTimeout();

    /** The {@code standby_cluster} in force, if this is a standby cluster. */
    Optional<io.pgregent.core.config.StandbyCluster> standbyCluster();
  }

  private final Hooks hooks;
  private final java.util.concurrent.ExecutorService worker;
  private final StandbyLeaderExecutor standby;

  HaExecutor(
      Dcs dcs,
      PostgresController postgres,
      AgentConfig config,
      PeerClient peers,
      LoopState state,
      Hooks hooks) {
    this.hooks = hooks;
    this.worker =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "postgres-action-" + config.name());
              t.setDaemon(true);
              return t;
            });
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = config;
    this.peers = peers;
    this.state = state;
    this.standby =
        new StandbyLeaderExecutor(
            dcs, postgres, config, state, hooks::standbyCluster, this::whileRenewing);
    this.failsafe =
        new FailsafeClient(
            Duration.ofSeconds(2),
            peers.http(),
            config.restapi().username(),
            config.restapi().password());
  }

  Outcome execute(Action action, Optional<ClusterView> view, CycleFacts facts) {
    if (action instanceof Action.RefreshLock) {
      try {
        return new Outcome(facts.withLockRefreshed(refreshLock()), true);
      } catch (DcsUnreachableException e) {
        // Not a lost lock but a lost store: that is failsafe mode's case, not a demotion by CAS.
        log.warn("could not refresh the leader lock: {}", e.getMessage());
        return new Outcome(facts, true, true);
      }
    }
    if (action instanceof Action.AcquireLock) {
      return new Outcome(facts.withLockAcquired(acquireLock()), true);
    }
    if (action instanceof Action.RaceInitialize) {
      boolean won = dcs.compareAndSet(ClusterKey.INITIALIZE, 0, "");
      if (won) {
        state.memory = state.memory.withBootstrapping(true);
      }
      return new Outcome(facts.withInitializeWon(won), true);
    }
    if (action instanceof Action.QueryPeers) {
      List<Member> others = new ArrayList<>();
      ((Action.QueryPeers) action)
          .members()
          .forEach(
              (name, url) -> {
                com.fasterxml.jackson.databind.node.ObjectNode data =
                    ClusterCodec.nodes().objectNode();
                data.put("api_url", url);
                others.add(Member.of(name, data));
              });
      return new Outcome(facts.withPeers(peers.query(others)), true);
    }
    if (action instanceof Action.QueryFailsafe) {
      long sent = System.nanoTime();
      // Without a published topology nobody vouches for us: demote. A topology of ourselves alone
      // (one member) has nobody who could take over, as in Patroni.
      boolean accepted =
          FailsafeClient.vouched(
              state.failsafeListed,
              state.failsafeMembers,
              others ->
                  failsafe.allAccept(
                      config.name(),
                      "postgres://" + config.postgresql().connectAddress() + "/postgres",
                      config.restapi().apiUrl(),
                      others));
      state.failsafeActive = accepted;
      if (accepted) {
        // Every member treats our POST as a live leader for a ttl: as good as a renewal.
        state.leaseVouched(sent);
      }
      return new Outcome(facts.withFailsafeAccepted(accepted), true);
    }
    if (action instanceof Action.RepairHistory) {
      repairHistory(view.orElseThrow());
      return new Outcome(facts.withHistoryRepaired(), true);
    }
    if (action instanceof Action.Bootstrap) {
      bootstrap(view);
    } else if (action instanceof Action.CloneFromLeader a) {
      LeaderConnection source = connection(view.orElseThrow(), a.source());
      postgres.createReplica(source, LONG_TASK);
      postgres.start();
      state.following = a.source();
    } else if (action instanceof Action.CloneWithoutLeader) {
      postgres.createReplica(null, LONG_TASK);
      postgres.start();
      state.following = null;
    } else if (action instanceof Action.StartPostgres a) {
      boolean ourLock =
          view.flatMap(ClusterView::leader).map(l -> l.name().equals(config.name())).orElse(false);
      if (!a.asReplica() && ourLock && state.holdsLock) {
        // The decider hands the lock back rather than retrying a start that fails.
        try {
          start(a, view);
        } catch (PostmasterStillPresentException e) {
          // The killed postmaster is not reaped yet: the next cycle tries again (within
          // primary_start_timeout), this is no reason to hand the lock over.
          throw e;
        } catch (RuntimeException e) {
          log.error("starting the primary failed: {}", e.getMessage());
          return new Outcome(facts.withPrimaryStartFailed(), true);
        }
      } else {
        start(a, view);
      }
    } else if (action instanceof Action.Promote) {
      promote(view);
    } else if (action instanceof Action.Demote a) {
      demote(a, view);
    } else if (action instanceof Action.FollowLeader a) {
      postgres.followLeader(connection(view.orElseThrow(), a.leader()));
      state.following = a.leader();
    } else if (action instanceof Action.ReleaseLock a) {
      if (a.startFailed()) {
        postgres.announceDemoted();
      }
      // Never let go while PostgreSQL may still take writes (e.g. running but not answering us).
      if (postgres.isRunning()
          && postgres.state().role() != io.pgregent.postgres.PostgresRole.REPLICA) {
        postgres.stop(StopMode.IMMEDIATE, postgres.settings().pgCtlTimeout());
      }
      dcs.release();
      state.holdsLock = false;
    } else if (action instanceof Action.BootstrapStandbyLeader) {
      standby.bootstrap();
    } else if (action instanceof Action.FollowRemote) {
      standby.follow();
    } else if (action instanceof Action.DemoteToStandbyLeader) {
      standby.demote();
    } else if (action instanceof Action.Rejoin a) {
      rejoinDiverged(view.orElseThrow(), a.leader());
    } else if (action instanceof Action.StepDown a) {
      stepDown(a, view.orElseThrow());
    } else if (action instanceof Action.ClearFailover) {
      clearFailover(view.orElseThrow());
    } else if (action instanceof Action.Halt) {
      state.halted = true;
    } else if (action instanceof Action.WriteSyncState
        || action instanceof Action.DeleteSyncState
        || action instanceof Action.SetSyncStandbyNames) {
      updateSync(action);
    } else if (!(action instanceof Action.None)) {
      throw new IllegalStateException("no handler for " + action);
    }
    return new Outcome(facts, false);
  }

  /**
   * Runs slow PostgreSQL work off the loop thread and waits for it; while it runs, a leader renews
   * its lock every loop_wait, so the lease outlives the work. When a renewal fails, renewing stops
   * and the lease guard stops PostgreSQL at the deadline, whatever the work is doing.
   */
  /** How long a switchover waits for a candidate to stream: PostgreSQL's default retry, and 1 s. */
  private static final Duration STREAMING_WAIT = Duration.ofSeconds(6);

  private void whileRenewing(String what, Runnable work) {
    whileRenewing(what, work, java.util.OptionalLong.empty());
  }

  /**
   * As {@link #whileRenewing(String, Runnable)}, but the work is given up at {@code giveUpAtNanos}
   * (monotonic): it is cancelled, the commands it runs are killed, and this returns false once it
   * has ended. True when the work completed.
   */
  private boolean whileRenewing(String what, Runnable work, java.util.OptionalLong giveUpAtNanos) {
    java.util.concurrent.Future<?> done = worker.submit(work);
    boolean renewing = state.holdsLock;
    while (true) {
      long waitNanos = Duration.ofSeconds(Math.max(1, hooks.loopWaitSeconds())).toNanos();
      if (giveUpAtNanos.isPresent()) {
        waitNanos =
            Math.max(
                1_000_000L, Math.min(waitNanos, giveUpAtNanos.getAsLong() - System.nanoTime()));
      }
      try {
        done.get(waitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        return true;
      } catch (java.util.concurrent.TimeoutException e) {
        if (giveUpAtNanos.isPresent() && System.nanoTime() - giveUpAtNanos.getAsLong() >= 0) {
          done.cancel(true);
          awaitWorkerIdle(what);
          return false;
        }
        if (renewing) {
          try {
            renewing = refreshLock();
          } catch (DcsException ex) {
            renewing = false;
          }
          if (renewing) {
            hooks.leaseRenewed();
          } else {
            log.warn("{}: the leader lock could not be renewed while PostgreSQL works", what);
          }
        }
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(what + " interrupted");
      }
    }
  }

  /** The worker runs one task at a time: a no-op runs once the cancelled task has ended. */
  private void awaitWorkerIdle(String what) {
    try {
      worker.submit(() -> {}).get(1, java.util.concurrent.TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("{}: the cancelled work did not end: {}", what, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted");
    }
  }

  void close() {
    worker.shutdownNow();
  }

  // ---- the lock ----

  private boolean refreshLock() {
    long sent = System.nanoTime();
    try {
      dcs.renewSession();
      state.renewed(sent);
      if (!hooks.mayLead()) {
        dcs.release();
        state.holdsLock = false;
        return false;
      }
      boolean held = dcs.refresh();
      state.holdsLock = held;
      if (held) {
        state.leaseVouched(sent);
      }
      return held;
    } catch (DcsUnreachableException e) {
      state.holdsLock = false;
      throw e;
    } catch (DcsException e) {
      log.warn("could not refresh the leader lock: {}", e.getMessage());
      state.holdsLock = false;
      return false;
    }
  }

  private boolean acquireLock() {
    if (!hooks.mayLead()) {
      return false;
    }
    long sent = System.nanoTime();
    try {
      dcs.renewSession();
      state.renewed(sent);
      boolean won = dcs.tryAcquire();
      state.holdsLock = won;
      if (won) {
        state.leaseVouched(sent);
      }
      return won;
    } catch (DcsException e) {
      log.warn("could not acquire the leader lock: {}", e.getMessage());
      return false;
    }
  }

  // ---- PostgreSQL ----

  private void bootstrap(Optional<ClusterView> view) {
    try {
      postgres.bootstrap();
      long sent = System.nanoTime();
      dcs.renewSession();
      state.renewed(sent);
      if (!dcs.tryAcquire()) {
        throw new IllegalStateException("another member took the leader lock during bootstrap");
      }
      state.holdsLock = true;
      state.leaseVouched(sent);
      dcs.compareAndSet(ClusterKey.CONFIG, 0, ClusterCodec.json(config.bootstrapDcs()));
      String sysid =
          postgres
              .state()
              .systemIdentifier()
              .orElseGet(() -> postgres.controlData().systemIdentifier());
      long version = dcs.read().initialize().map(i -> i.version()).orElse(0L);
      dcs.compareAndSet(ClusterKey.INITIALIZE, version, sysid);
      state.memory = state.memory.withBootstrapping(false);
      log.info("initialized a new cluster {} with system identifier {}", config.scope(), sysid);
    } catch (RuntimeException e) {
      state.memory = state.memory.withBootstrapping(false);
      // As Patroni: give the cluster's creation back to the other members and stop; retrying the
      // same bootstrap every cycle would only fail again.
      state.fatal = "Failed to bootstrap cluster";
      state.halted = true;
      try {
        log.info("removing initialize key after failed attempt to bootstrap the cluster");
        dcs.read()
            .initialize()
            .filter(i -> i.completed().isEmpty())
            .ifPresent(i -> dcs.compareAndDelete(ClusterKey.INITIALIZE, i.version()));
        if (state.holdsLock) {
          dcs.release();
          state.holdsLock = false;
        }
      } catch (DcsException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private void start(Action.StartPostgres a, Optional<ClusterView> view) {
    startPostgres(a, view);
    // Started again, however: a later stop is the operator's, not our switchover's.
    state.memory = state.memory.withSteppedDown(false);
  }

  private void startPostgres(Action.StartPostgres a, Optional<ClusterView> view) {
    if (!a.asReplica()) {
      // Crash recovery can outlast the ttl: the lock is renewed meanwhile, but only up to
      // primary_start_timeout after the primary went down; then another member takes over.
      long downSince = state.memory.primaryDownSinceNanos().orElse(System.nanoTime());
      long giveUpAt = downSince + hooks.primaryStartTimeout().toNanos();
      if (!whileRenewing("start", postgres::start, java.util.OptionalLong.of(giveUpAt))) {
        log.info("demoting self because primary startup is taking too long");
        // The start's commands were killed; a postmaster that got further is stopped here.
        postgres.emergencyStop(postgres.settings().pgCtlTimeout());
        state.holdsLock = false;
        try {
          dcs.release();
        } catch (DcsException e) {
          log.warn("could not release the leader lock: {}", e.getMessage());
        }
      }
      return;
    }
    if (a.leader() != null) {
      rejoin(view.orElseThrow(), connection(view.orElseThrow(), a.leader()));
      state.following = a.leader();
      return;
    }
    // No leader to follow: come up read-only, never as a second primary.
    if (postgres.state().role() == io.pgregent.postgres.PostgresRole.PRIMARY) {
      postgres.demote(Optional.empty());
    }
    postgres.start();
    state.following = null;
  }

  /**
   * A stopped member joins the leader, rewound first when it may have diverged: it was a primary,
   * or the leader is on a later timeline than our last checkpoint (a standby can have received WAL
   * past the point where the new leader's timeline forked off). pg_rewind itself says when nothing
   * needs rewinding.
   */
  private void rejoin(ClusterView view, LeaderConnection leader) {
    // A crashed standby's control data names the timeline of its last restartpoint: recover first.
    postgres.recoverCrashedStandby();
    boolean wasPrimary =
        postgres.state().role() == io.pgregent.postgres.PostgresRole.PRIMARY
            || state.mayHaveDiverged;
    long leaderTimeline = view.member(leader.name()).flatMap(Member::timeline).orElse(0L);
    long ourTimeline = postgres.controlData().checkpointTimeline();
    boolean timelineMoved = leaderTimeline > ourTimeline;
    if ((wasPrimary || timelineMoved) && postgres.usePgRewind()) {
      io.pgregent.postgres.PostgresController.RewindOutcome outcome =
          postgres.rewind(leader, LONG_TASK);
      log.info("rejoining {}: {}", leader.name(), outcome);
      postgres.start();
    } else {
      postgres.followLeader(leader);
    }
    state.mayHaveDiverged = false;
  }

  /** A running standby that diverged from the leader: stop it, then rejoin as a stopped one. */
  private void rejoinDiverged(ClusterView view, String leader) {
    LeaderConnection conn = connection(view, leader);
    postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
    if (postgres.usePgRewind()) {
      state.mayHaveDiverged = true;
      rejoin(view, conn);
    } else {
      // Throws, keeping the data, unless remove_data_directory_on_diverged_timelines allows it.
      postgres.recloneOnDivergedTimelines(conn, LONG_TASK);
      postgres.start();
    }
    state.following = leader;
  }

  private void promote(Optional<ClusterView> view) {
    LocalPostgresState before = postgres.state();
    long oldTimeline = before.timeline().orElse(0);
    long switchLsn = before.server().map(s -> Math.max(s.receiveLsn(), s.replayLsn())).orElse(0L);
    Duration timeout =
        Duration.ofSeconds(Math.max(10, postgres.settings().pgCtlTimeout().toSeconds()));
    try {
      whileRenewing("promote", () -> postgres.promote(timeout, hooks::promoted));
    } catch (RuntimeException e) {
      // The decider then hands the lock back and keeps out of the race for a ttl.
      state.memory = state.memory.withPromotionFailed(java.util.OptionalLong.of(System.nanoTime()));
      throw e;
    }
    state.following = null;
    view.ifPresent(v -> recordHistory(v, oldTimeline, switchLsn));
  }

  private void recordHistory(ClusterView view, long oldTimeline, long switchLsn) {
    if (oldTimeline <= 0) {
      return;
    }
    try {
      List<TimelineHistory.Entry> entries =
          new ArrayList<>(view.history().map(TimelineHistory::entries).orElse(List.of()));
      entries.add(
          new TimelineHistory.Entry(
              oldTimeline,
              switchLsn,
              "no recovery target specified",
              OffsetDateTime.now(ZoneOffset.UTC).toString(),
              config.name()));
      long version = view.history().map(TimelineHistory::version).orElse(0L);
      dcs.compareAndSet(
          ClusterKey.HISTORY, version, ClusterCodec.encode(new TimelineHistory(entries, 0)));
    } catch (DcsException e) {
      log.warn("could not record the timeline switch in history: {}", e.getMessage());
    }
  }

  /**
   * Rewrites the {@code history} key from the timeline history file of PostgreSQL's current
   * timeline, keeping the timestamp and new leader of each switch the key already records.
   */
  private void repairHistory(ClusterView view) {
    int timeline = postgres.state().timeline().orElse(0);
    java.nio.file.Path file =
        config
            .postgresql()
            .dataDir()
            .resolve("pg_wal")
            .resolve(String.format("%08X.history", timeline));
    try {
      java.util.Map<Long, TimelineHistory.Entry> known = new java.util.HashMap<>();
      view.history().ifPresent(h -> h.entries().forEach(e -> known.put(e.timeline(), e)));
      List<TimelineHistory.Entry> entries = new ArrayList<>();
      for (String line : java.nio.file.Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+", 3);
        if (f.length < 2 || f[0].startsWith("#")) {
          continue;
        }
        long tl = Long.parseLong(f[0]);
        String[] lsn = f[1].split("/");
        long switchLsn = (Long.parseLong(lsn[0], 16) << 32) | Long.parseLong(lsn[1], 16);
        TimelineHistory.Entry k = known.get(tl);
        entries.add(
            k != null && k.switchLsn() == switchLsn
                ? k
                : new TimelineHistory.Entry(
                    tl, switchLsn, f.length > 2 ? f[2].trim() : "", null, null));
      }
      if (entries.isEmpty()) {
        return;
      }
      long version = view.history().map(TimelineHistory::version).orElse(0L);
      if (dcs.compareAndSet(
          ClusterKey.HISTORY, version, ClusterCodec.encode(new TimelineHistory(entries, 0)))) {
        log.info("recorded the cluster history up to timeline {} from {}", timeline, file);
      }
    } catch (java.io.IOException | RuntimeException e) {
      log.warn("could not repair the cluster history from {}: {}", file, e.toString());
    }
  }

  private void demote(Action.Demote a, Optional<ClusterView> view) {
    // Stop accepting writes first, whatever follows.
    postgres.stop(StopMode.IMMEDIATE, postgres.settings().pgCtlTimeout());
    state.holdsLock = false;
    state.mayHaveDiverged = true;
    Optional<String> leader =
        view.flatMap(v -> v.leader()).map(l -> l.name()).filter(n -> !n.equals(config.name()));
    if (a.mode() == Action.DemoteMode.IMMEDIATE_NOLOCK && leader.isPresent()) {
      rejoin(view.get(), connection(view.get(), leader.get()));
      state.following = leader.get();
    } else {
      postgres.demote(Optional.empty());
      state.following = null;
      if (a.mode() == Action.DemoteMode.OFFLINE) {
        // Cut off from the store, as in Patroni: back up read-only, a standby with no upstream,
        // still serving reads; it follows whichever leader the store names once it is back.
        postgres.start();
      }
    }
  }

  /**
   * A requested switchover: the primary stops cleanly once a candidate streams from it. A clean
   * (fast) shutdown waits for connected standbys to confirm the shutdown checkpoint, so the
   * candidate has every commit and this member can follow it without a rewind. The lock is released
   * at once after the stop, with the final position in {@code status}, so the candidate's watch
   * wakes it straight away.
   */
  private void stepDown(Action.StepDown a, ClusterView view) {
    java.util.Set<String> streaming = new java.util.TreeSet<>();
    // A candidate reconnecting (e.g. to a primary restarted a moment ago) streams again within its
    // wal_retrieve_retry_interval: wait that long, renewing the lock, before giving up.
    long deadline = System.nanoTime() + STREAMING_WAIT.toNanos();
    whileRenewing(
        "switchover",
        () -> {
          while (true) {
            streaming.clear();
            try {
              postgres.client().status().replication().stream()
                  .filter(r -> "streaming".equals(r.state()))
                  .forEach(r -> streaming.add(r.applicationName()));
            } catch (RuntimeException e) {
              log.warn("manual failover: could not read pg_stat_replication: {}", e.getMessage());
            }
            if (a.candidates().stream().anyMatch(streaming::contains)
                || System.nanoTime() > deadline) {
              return;
            }
            try {
              Thread.sleep(200);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        });
    List<String> ready = a.candidates().stream().filter(streaming::contains).toList();
    if (ready.isEmpty()) {
      log.warn(
          "manual failover: none of {} streams from this primary (streaming: {}), switchover is"
              + " not possible",
          a.candidates(),
          streaming);
      clearFailover(view);
      return;
    }
    try {
      // A checkpoint now makes the shutdown checkpoint, and so the write pause, short.
      postgres.client().execute("CHECKPOINT");
    } catch (RuntimeException e) {
      log.warn("manual failover: CHECKPOINT failed, stopping anyway: {}", e.getMessage());
    }
    hooks.steppingDown();
    postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
    io.pgregent.postgres.ControlData control = postgres.controlData();
    state.mayHaveDiverged = !control.cleanShutdown();
    long lsn = control.checkpointLocation();
    try {
      if (lsn > 0) {
        dcs.put(
            ClusterKey.STATUS,
            ClusterCodec.encodeStatus(lsn, java.util.Map.of(), java.util.List.of()));
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

  private void clearFailover(ClusterView view) {
    view.failover()
        .filter(f -> !f.isEmpty())
        .ifPresent(
            f -> {
              try {
                dcs.compareAndSet(
                    ClusterKey.FAILOVER,
                    f.version(),
                    ClusterCodec.encode(
                        new io.pgregent.core.cluster.Failover(null, null, null, 0)));
              } catch (DcsException e) {
                log.warn("could not clear the failover key: {}", e.getMessage());
              }
            });
  }

  // ---- synchronous replication ----

  private void updateSync(Action action) {
    if (action instanceof Action.WriteSyncState a) {
      if (dcs.compareAndSet(ClusterKey.SYNC, a.state().version(), ClusterCodec.encode(a.state()))) {
        log.info(
            "synchronous replication state: leader {}, standbys {}, quorum {}",
            a.state().leader(),
            a.state().syncStandbys(),
            a.state().quorum());
      } else {
        log.info("the sync key changed meanwhile: deciding again");
      }
    } else if (action instanceof Action.DeleteSyncState a) {
      dcs.compareAndDelete(ClusterKey.SYNC, a.expectedVersion());
    } else if (action instanceof Action.SetSyncStandbyNames a) {
      long mark;
      try {
        mark = postgres.setSynchronousStandbyNames(a.value(), Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        // No standby is confirmed against a mark that may predate the value in force.
        state.syncMark = Long.MAX_VALUE;
        throw e;
      }
      state.syncMark = mark;
      log.info(
          "synchronous_standby_names is now {}",
          a.value().map(v -> "'" + v + "'").orElse("the configuration's"));
    }
  }

  /** Where to reach a member's PostgreSQL, from its {@code conn_url}. */
  static LeaderConnection connection(ClusterView view, String member) {
    Member m =
        view.member(member)
            .orElseThrow(() -> new IllegalStateException("no member key for " + member));
    String url =
        m.connUrl().orElseThrow(() -> new IllegalStateException(member + " has no conn_url"));
    URI uri = URI.create(url);
    return new LeaderConnection(member, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
  }
}
