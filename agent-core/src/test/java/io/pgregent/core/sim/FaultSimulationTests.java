package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.SyncSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three members run the real decider with the lease guard and the fence modelled, each step of a
 * cycle taking simulated time, each machine's clock drifting, while faults drawn from the seed land
 * between any two steps: machine crashes, a member cut from the store, two members cut from each
 * other, the store down, an agent frozen (SIGSTOP) or its loop stalled, a wall clock jump. After
 * every event: never two writable primaries whose agents both believe they lead, and never a
 * writable PostgreSQL whose member does not hold a live lease in the store. After the faults heal:
 * one leader, every other member streaming from it.
 */
class FaultSimulationTests {

  private static final long TTL_MILLIS = 10_000;
  private static final long LOOP_WAIT_MILLIS = 1_000;
  private static final Duration FAULTS_UNTIL = Duration.ofMinutes(10);
  private static final Duration HEAL_BOUND = Duration.ofMinutes(2);
  private static final List<String> NAMES = List.of("pg0", "pg1", "pg2");

  /** The faults a schedule draws from. */
  enum Fault {
    CRASH,
    STORE_CUT,
    PEER_CUT,
    STORE_DOWN,
    FREEZE,
    STALL,
    PAUSE_AFTER_ACTION,
    WALL_JUMP,
    SLOW_STORE,
    SWITCHOVER;

    /** The faults of the scenario's first day, which its regression seeds replay. */
    static final List<Fault> FIRST_DAY =
        List.of(
            CRASH, STORE_CUT, PEER_CUT, STORE_DOWN, FREEZE, STALL, PAUSE_AFTER_ACTION, WALL_JUMP);

    /** Every fault as of the switchover requests' day, which its regression seeds replay. */
    static final List<Fault> SWITCHOVER_DAY =
        Stream.concat(FIRST_DAY.stream(), Stream.of(SLOW_STORE, SWITCHOVER)).toList();

    static final List<Fault> ALL = List.of(values());
  }

  /** Each seed draws its replication mode: asynchronous, synchronous (strict or not), quorum. */
  static final List<SyncSettings> MODES =
      List.of(
          SyncSettings.OFF,
          new SyncSettings(SyncSettings.Mode.ON, 1, false, -1),
          new SyncSettings(SyncSettings.Mode.ON, 1, true, -1),
          new SyncSettings(SyncSettings.Mode.QUORUM, 1, false, -1));

  static LeaderCrashSimulationTests.Run run(long seed) {
    return run(seed, Fault.ALL);
  }

  static LeaderCrashSimulationTests.Run run(long seed, List<Fault> faults) {
    SyncSettings sync = MODES.get((int) Math.floorMod(seed, (long) MODES.size()));
    return run(seed, SimCluster.Options.FULL.withSync(sync), faults);
  }

  static LeaderCrashSimulationTests.Run run(
      long seed, SimCluster.Options options, List<Fault> faults) {
    Simulation sim = new Simulation(seed);
    try (SimCluster cluster = cluster(sim, options)) {
      return run(sim, cluster, options, faults);
    }
  }

  private static LeaderCrashSimulationTests.Run run(
      Simulation sim, SimCluster cluster, SimCluster.Options options, List<Fault> faults) {
    for (SimAgent a : cluster.agents()) {
      // Far beyond a real clock's drift, within the lease guard's margin (ttl / 5).
      long ppm = sim.random().nextLong(-20_000, 20_001);
      a.drift(ppm);
      sim.trace(a.name + " clock drift " + ppm + " ppm");
    }
    sim.check("one writable primary believing it leads", cluster::twoLeadingPrimaries);
    sim.check("writable only under a live lease", cluster::writableWithoutLease);
    sim.check("no acknowledged commit lost", cluster::acknowledgedCommitLost);
    sim.trace("synchronous_mode: " + options.sync());
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    sim.schedule(Duration.ofSeconds(30), "fault", () -> fault(cluster, faults));
    sim.runFor(FAULTS_UNTIL);
    heal(cluster);
    sim.runFor(FAULTS_UNTIL.plus(HEAL_BOUND));
    sim.trace("end: " + cluster.describe());
    return new LeaderCrashSimulationTests.Run(
        sim.seed(), sim.trace(), cluster.notConverged(), cluster.timelineReused());
  }

  private final List<SimCluster> started = new ArrayList<>();

  private SimCluster closing(SimCluster cluster) {
    started.add(cluster);
    return cluster;
  }

  @AfterEach
  void noThreadOutlivesItsTest() {
    started.forEach(SimCluster::close);
  }

  /** The scenario's three members on a fresh store, not started yet. */
  private static SimCluster cluster(Simulation sim, SimCluster.Options options) {
    return new SimCluster(sim, NAMES, TTL_MILLIS, LOOP_WAIT_MILLIS, options);
  }

  private static void fault(SimCluster cluster, List<Fault> faults) {
    Simulation sim = cluster.sim;
    if (sim.nowNanos() >= FAULTS_UNTIL.toNanos()) {
      return;
    }
    SplittableRandom r = sim.random();
    Fault kind = faults.get(r.nextInt(faults.size()));
    SimAgent target = pick(cluster, r);
    Duration lasts = sim.between(Duration.ofSeconds(1), Duration.ofSeconds(40));
    String name = target.name;
    switch (kind) {
      case CRASH -> {
        if (target.up()) {
          sim.trace("fault: crash " + name + " for " + lasts + " | " + cluster.describe());
          target.crash();
          sim.schedule(lasts, "restart " + name, () -> restart(target));
        }
      }
      case STORE_CUT -> {
        sim.trace("fault: cut " + name + " from the store for " + lasts);
        cluster.store.cut(name);
        sim.schedule(lasts, "restore " + name, () -> restore(cluster, name));
      }
      case PEER_CUT -> {
        String other = NAMES.get((NAMES.indexOf(name) + 1 + r.nextInt(2)) % NAMES.size());
        sim.trace("fault: cut " + name + " and " + other + " apart for " + lasts);
        cluster.cutPeers(name, other);
        sim.schedule(lasts, "heal " + name + "|" + other, () -> cluster.healPeers(name, other));
      }
      case STORE_DOWN -> {
        sim.trace("fault: the store is down for " + lasts);
        cluster.store.down();
        sim.schedule(lasts, "store up", cluster.store::up);
      }
      case FREEZE -> {
        if (target.up()) {
          sim.trace("fault: freeze " + name + " for " + lasts + " | " + cluster.describe());
          long token = target.freeze();
          sim.schedule(lasts, "thaw " + name, () -> resume(target, token));
        }
      }
      case STALL -> {
        if (target.up()) {
          sim.trace("fault: stall the loop of " + name + " for " + lasts);
          long token = target.stall();
          sim.schedule(lasts, "unstall " + name, () -> resume(target, token));
        }
      }
      case PAUSE_AFTER_ACTION -> {
        // The narrow windows: right after taking or renewing the lock, after a promotion.
        List<Class<? extends Action>> kinds =
            List.of(
                Action.AcquireLock.class,
                Action.RefreshLock.class,
                Action.Promote.class,
                Action.QueryPeers.class);
        Class<? extends Action> after = kinds.get(r.nextInt(kinds.size()));
        boolean freeze = r.nextBoolean();
        sim.trace(
            "fault: "
                + name
                + (freeze ? " will freeze" : "'s loop will stall")
                + " after its next "
                + after.getSimpleName());
        target.pauseAfterNext(after, freeze, lasts);
      }
      case SLOW_STORE -> {
        sim.trace("fault: " + name + "'s store calls take up to 1 s each way for " + lasts);
        target.slowStore(lasts);
      }
      case SWITCHOVER -> {
        // To the target, or from it when it leads: to another member.
        String to =
            target.believesLeader()
                ? NAMES.get((NAMES.indexOf(name) + 1 + r.nextInt(2)) % NAMES.size())
                : name;
        sim.trace("fault: switchover to " + to + ": " + cluster.requestSwitchover(to));
      }
      case WALL_JUMP -> {
        long millis = (r.nextBoolean() ? 1 : -1) * r.nextLong(1_000, 3_600_000);
        sim.trace("fault: " + name + "'s wall clock jumps " + millis + " ms");
        target.jumpWallClock(millis);
      }
    }
    sim.schedule(
        sim.between(Duration.ofSeconds(5), Duration.ofSeconds(60)),
        "fault",
        () -> fault(cluster, faults));
  }

  /** Half the faults hit whoever leads, the others any member. */
  private static SimAgent pick(SimCluster cluster, SplittableRandom r) {
    List<SimAgent> agents = cluster.agents();
    if (r.nextBoolean()) {
      for (SimAgent a : agents) {
        if (a.believesLeader()) {
          return a;
        }
      }
    }
    return agents.get(r.nextInt(agents.size()));
  }

  private static void restart(SimAgent a) {
    if (!a.up()) {
      a.restart();
    }
  }

  private static void restore(SimCluster cluster, String name) {
    cluster.store.restore(name);
  }

  private static void resume(SimAgent a, long token) {
    a.resume(token);
  }

  private static void heal(SimCluster cluster) {
    Simulation sim = cluster.sim;
    sim.trace("heal: " + cluster.describe());
    cluster.store.up();
    cluster.healPeers();
    for (SimAgent a : cluster.agents()) {
      cluster.store.restore(a.name);
      if (!a.up()) {
        a.restart();
      } else {
        a.resume();
      }
    }
  }

  @Test
  void oneSeedGivesTheSameTraceByteForByte() {
    LeaderCrashSimulationTests.Run first = run(20261205L);
    assertThat(run(20261205L).trace()).isEqualTo(first.trace());
    assertThat(first.trace()).contains("fault:").contains("Promote");
  }

  @Test
  void safeThroughoutAndConvergedAfterwardsOverASeedRange() {
    List<String> stuck = new ArrayList<>();
    for (long seed = 1; seed <= 200; seed++) {
      LeaderCrashSimulationTests.Run r = run(seed);
      if (r.notConverged() != null) {
        stuck.add("seed " + seed + ": " + r.notConverged());
      }
    }
    assertThat(stuck).isEmpty();
  }

  /** Without the fence, a frozen leader's PostgreSQL outlives its lease: the checker sees it. */
  @Test
  void withoutTheFenceAFrozenLeaderIsCaught() {
    Simulation sim = new Simulation(7);
    SimCluster cluster =
        closing(cluster(sim, new SimCluster.Options(true, true, false, SyncSettings.OFF)));
    sim.check("writable only under a live lease", cluster::writableWithoutLease);
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    sim.schedule(
        Duration.ofSeconds(30),
        "freeze the leader",
        () ->
            cluster.onTheLeader(
                leader -> {
                  sim.trace("fault: freeze " + leader.name);
                  leader.freeze();
                }));
    assertThatThrownBy(() -> sim.runFor(Duration.ofMinutes(2)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("invariant 'writable only under a live lease' violated");
  }

  /**
   * The commit checker has teeth: in synchronous mode, a standby that missed acknowledged commits
   * made writable by hand (what a failover ignoring the sync key would do) is caught.
   */
  @Test
  void aPrimaryWithoutAcknowledgedCommitsIsCaught() {
    Simulation sim = new Simulation(11);
    SimCluster cluster = closing(cluster(sim, SimCluster.Options.FULL.withSync(MODES.get(1))));
    sim.check("no acknowledged commit lost", cluster::acknowledgedCommitLost);
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    SimAgent[] behind = new SimAgent[1];
    sim.schedule(
        Duration.ofSeconds(30),
        "crash a standby",
        () -> {
          behind[0] =
              cluster.agents().stream().filter(a -> !a.believesLeader()).findFirst().orElseThrow();
          sim.trace("fault: crash " + behind[0].name);
          behind[0].crash();
        });
    sim.schedule(
        Duration.ofSeconds(40),
        "promote the stale standby by hand",
        () -> {
          sim.trace("fault: " + behind[0].name + " promoted by hand");
          behind[0].pg.start(true, null);
          behind[0].pg.promote();
        });
    assertThatThrownBy(() -> sim.runFor(Duration.ofMinutes(1)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("invariant 'no acknowledged commit lost' violated")
        .hasMessageContaining("is writable without the commit acknowledged");
  }

  /**
   * Found by this simulation (seed 307, quorum mode): a member froze right after asking its peers;
   * while it was frozen another member led, had commits acknowledged and stalled past its lease.
   * The thawed member took the lock on its 34-second-old answers and, in its next cycle, claimed
   * the sync key and promoted without those commits. A standby holding the lock now judges its
   * promotion again on the cycle's view: the key named the other leader, so it hands the lock back.
   * Seed 2953 is the same in synchronous mode.
   */
  @Test
  void aLockTakenOnStaleAnswersIsHandedBackInSynchronousMode() {
    replaysSafely(307, "releasing the leader lock instead of promoting");
    replaysSafely(2953, "releasing the leader lock instead of promoting");
  }

  /**
   * Found by this simulation (seed 914): a member's loop stalled 22 s right after renewing the lock
   * of its crashed primary; the lease ran out, another member led, and the stalled cycle then
   * started PostgreSQL as the primary: two writable primaries. The executor now refuses to make
   * PostgreSQL writable on a renewal whose lease ran out (StaleRenewalTests for the agent's).
   */
  @Test
  void noPrimaryStartsOnARenewalWhoseLeaseRanOut() {
    replaysSafely(914, "not becoming writable: the lease deadline passed");
  }

  /**
   * Found by this simulation (seed 6499, quorum mode): a leader's loop stalled 33 s between reading
   * the view and renewing the lock; meanwhile its lease ran out, another member led (and had
   * commits acknowledged) and lost its own lease. The stalled leader's renewal found the key absent
   * and, as the store contract allowed, created it again, then started its old primary:
   * acknowledged commits lost. A renewal recreates an absent key only while the lease guard still
   * vouches for the lease (the conformance kit's refreshRecreatesALapsedLockOnlyWhenAllowed).
   */
  @Test
  void aLapsedLockIsNotTakenBackByARenewal() {
    replaysSafely(6499, "demoted self because failed to update leader lock in DCS");
  }

  /**
   * Found by this simulation (seed 16995, quorum mode): the sync key's leader, stopped by its
   * fence, came back while another member held the lock without having promoted (it was about to
   * hand it back) and rejoined it through pg_rewind, throwing away the only copy of acknowledged
   * commits. A member whose data is a primary's now waits for the lock holder to run as the primary
   * before rejoining it.
   */
  @Test
  void aFormerPrimaryWaitsForTheLockHolderToPromote() {
    replaysSafely(16995, "to run as the primary before rejoining it");
  }

  /**
   * Found by this simulation (seed 6106, synchronous mode): a promotion made while the store was
   * down never reached the history key, and a standby whose WAL had gone past that switch point on
   * the old timeline never learnt that it had diverged: it never streamed again. The leader now
   * records every switch of its lineage the key lacks.
   */
  @Test
  void aSwitchMadeWhileTheStoreWasDownReachesTheHistoryKey() {
    replaysSafely(6106, Fault.SWITCHOVER_DAY, "the cluster history lacks the switch to timeline");
  }

  private static void replaysSafely(long seed, String fixedBy) {
    replaysSafely(seed, Fault.FIRST_DAY, fixedBy);
  }

  /** A regression seed, replayed with the faults it was found with: safe, converged, and fixed. */
  private static void replaysSafely(long seed, List<Fault> faults, String fixedBy) {
    LeaderCrashSimulationTests.Run r = run(seed, faults);
    assertThat(r.notConverged()).as(r.trace()).isNull();
    assertThat(r.trace()).as("seed %d", seed).contains(fixedBy);
  }
}
