package io.pgregent.core.sim;

import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.SyncSettings;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The fault scenario's schedule, drawn from the seed: from 30 s to ten minutes a fault every 5–60 s
 * (half of them aimed at the leader), each lasting 1–40 s; then everything heals. The invariants
 * are checked after every event, convergence at the end. It runs on any {@link SimCluster}: of
 * model agents ({@link FaultSimulationTests}) or of the agent's own loops.
 */
public final class FaultSchedule {

  private static final Duration FAULTS_UNTIL = Duration.ofMinutes(10);
  private static final Duration HEAL_BOUND = Duration.ofMinutes(2);

  private FaultSchedule() {}

  /** The faults a schedule draws from. */
  public enum Fault {
    CRASH,
    STORE_CUT,
    PEER_CUT,
    STORE_DOWN,
    FREEZE,
    STALL,
    PAUSE_AFTER_ACTION,
    WALL_JUMP,
    SLOW_STORE,
    SWITCHOVER,
    LOSSY_STORE;

    /** The faults of the scenario's first day, which its regression seeds replay. */
    public static final List<Fault> FIRST_DAY =
        List.of(
            CRASH, STORE_CUT, PEER_CUT, STORE_DOWN, FREEZE, STALL, PAUSE_AFTER_ACTION, WALL_JUMP);

    /** Every fault as of the switchover requests' day, which its regression seeds replay. */
    public static final List<Fault> SWITCHOVER_DAY =
        Stream.concat(FIRST_DAY.stream(), Stream.of(SLOW_STORE, SWITCHOVER)).toList();

    public static final List<Fault> ALL = List.of(values());
  }

  /** Each seed draws its replication mode: asynchronous, synchronous (strict or not), quorum. */
  public static final List<SyncSettings> MODES =
      List.of(
          SyncSettings.OFF,
          new SyncSettings(SyncSettings.Mode.ON, 1, false, -1),
          new SyncSettings(SyncSettings.Mode.ON, 1, true, -1),
          new SyncSettings(SyncSettings.Mode.QUORUM, 1, false, -1));

  /**
   * Runs the schedule {@code sim}'s seed draws on {@code cluster} (not started yet): faults from 30
   * s to ten minutes, then everything healed and two minutes to converge. Throws {@link
   * Simulation.Violation} (with seed and trace) on a violation.
   */
  public static SimRun run(
      Simulation sim, SimCluster cluster, Duration loopWait, List<Fault> faults) {
    for (SimMachine a : cluster.agents()) {
      // Far beyond a real clock's drift, within the lease guard's margin (ttl / 5).
      long ppm = sim.random().nextLong(-20_000, 20_001);
      a.drift(ppm);
      sim.trace(a.name() + " clock drift " + ppm + " ppm");
    }
    checkInvariants(sim, cluster);
    sim.trace("synchronous_mode: " + cluster.options.sync());
    cluster.start(loopWait);
    sim.schedule(Duration.ofSeconds(30), "fault", () -> fault(cluster, faults));
    sim.runFor(FAULTS_UNTIL);
    heal(cluster);
    sim.runFor(FAULTS_UNTIL.plus(HEAL_BOUND));
    sim.trace("end: " + cluster.describe());
    return new SimRun(sim.seed(), sim.trace(), cluster.notConverged(), cluster.timelineReused());
  }

  /** The scenario's invariants, checked after every event of {@code sim} from now on. */
  public static void checkInvariants(Simulation sim, SimCluster cluster) {
    sim.check("one writable primary believing it leads", cluster::twoLeadingPrimaries);
    sim.check("writable only under a live lease", cluster::writableWithoutLease);
    sim.check("no acknowledged commit lost", cluster::acknowledgedCommitLost);
    sim.check(
        "the sync key names holders of every acknowledged commit",
        cluster::syncKeyNamesAMemberWithoutACommit);
    sim.check("no WAL taken for another timeline's", cluster::walFromAnotherTimeline);
  }

  private static void fault(SimCluster cluster, List<Fault> faults) {
    Simulation sim = cluster.sim;
    if (sim.nowNanos() >= FAULTS_UNTIL.toNanos()) {
      return;
    }
    SplittableRandom r = sim.random();
    Fault kind = faults.get(r.nextInt(faults.size()));
    SimMachine target = pick(cluster, r);
    Duration lasts = sim.between(Duration.ofSeconds(1), Duration.ofSeconds(40));
    String name = target.name();
    List<String> names = cluster.agents().stream().map(SimMachine::name).toList();
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
        String other = names.get((names.indexOf(name) + 1 + r.nextInt(2)) % names.size());
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
      case LOSSY_STORE -> {
        // Calls fail either way: before the store applies them, or after (the caller cannot tell).
        double p = 0.1 * (1 + r.nextInt(5));
        sim.trace(
            "fault: "
                + name
                + "'s link to the store loses "
                + Math.round(p * 100)
                + " % of requests and answers for "
                + lasts);
        cluster.store.lossy(name, p, r);
        sim.schedule(lasts, "reliable " + name, () -> cluster.store.reliable(name));
      }
      case SLOW_STORE -> {
        sim.trace("fault: " + name + "'s store calls take up to 1 s each way for " + lasts);
        target.slowStore(lasts);
      }
      case SWITCHOVER -> {
        // To the target, or from it when it leads: to another member.
        String to =
            target.believesLeader()
                ? names.get((names.indexOf(name) + 1 + r.nextInt(2)) % names.size())
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
  private static SimMachine pick(SimCluster cluster, SplittableRandom r) {
    List<SimMachine> agents = cluster.agents();
    if (r.nextBoolean()) {
      for (SimMachine a : agents) {
        if (a.believesLeader()) {
          return a;
        }
      }
    }
    return agents.get(r.nextInt(agents.size()));
  }

  private static void restart(SimMachine a) {
    if (!a.up()) {
      a.restart();
    }
  }

  private static void restore(SimCluster cluster, String name) {
    cluster.store.restore(name);
  }

  private static void resume(SimMachine a, long token) {
    a.resume(token);
  }

  private static void heal(SimCluster cluster) {
    Simulation sim = cluster.sim;
    sim.trace("heal: " + cluster.describe());
    cluster.store.up();
    cluster.healPeers();
    for (SimMachine a : cluster.agents()) {
      cluster.store.restore(a.name());
      cluster.store.reliable(a.name());
      if (!a.up()) {
        a.restart();
      } else {
        a.resume();
      }
    }
  }
}
