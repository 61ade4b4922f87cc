package io.pgregent.agent.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.ha.SyncSettings;
import io.pgregent.core.sim.Carrier;
import io.pgregent.core.sim.FaultSchedule;
import io.pgregent.core.sim.SimCluster;
import io.pgregent.core.sim.SimRun;
import io.pgregent.core.sim.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The fault scenario ({@link FaultSchedule}) on three machines running the agent's own loop,
 * executor and lease guard ({@link LoopMember}), with the dynamic configuration a seed draws:
 * asynchronous, synchronous (strict or not) or quorum replication (seed mod 4).
 */
final class LoopSimulation {

  static final long TTL_SECONDS = 10;
  static final long LOOP_WAIT_SECONDS = 1;
  static final List<String> NAMES = List.of("pg0", "pg1", "pg2");

  private LoopSimulation() {}

  static SimRun run(long seed) {
    return run(seed, FaultSchedule.Fault.ALL);
  }

  /** Runs one seed; throws {@link Simulation.Violation} (with seed and trace) on a violation. */
  static SimRun run(long seed, List<FaultSchedule.Fault> faults) {
    return run(seed, faults, false);
  }

  /**
   * As {@link #run(long, List)}, with DCS failsafe mode on when {@code failsafe} (the {@code
   * loop-failsafe} scenario): a primary cut from the store keeps running while every member accepts
   * its heartbeats.
   */
  static SimRun run(long seed, List<FaultSchedule.Fault> faults, boolean failsafe) {
    return Carrier.call(() -> runHere(seed, faults, failsafe));
  }

  private static SimRun runHere(long seed, List<FaultSchedule.Fault> faults, boolean failsafe) {
    SyncSettings sync =
        FaultSchedule.MODES.get((int) Math.floorMod(seed, (long) FaultSchedule.MODES.size()));
    Simulation sim = new Simulation(seed);
    Path base = tempDir();
    try (SimLog log = SimLog.into(sim, base);
        SimCluster cluster = cluster(sim, SimCluster.Options.FULL.withSync(sync), failsafe, base)) {
      if (failsafe) {
        sim.trace("failsafe_mode: on");
      }
      return FaultSchedule.run(sim, cluster, Duration.ofSeconds(LOOP_WAIT_SECONDS), faults);
    } finally {
      delete(base);
    }
  }

  /** The scenario's three machines on a fresh store, their files under {@code base}. */
  static SimCluster cluster(Simulation sim, SimCluster.Options options, Path base) {
    return cluster(sim, options, false, base);
  }

  static SimCluster cluster(
      Simulation sim, SimCluster.Options options, boolean failsafe, Path base) {
    return new SimCluster(
        sim,
        NAMES,
        TTL_SECONDS * 1000,
        options,
        (name, world) -> new LoopMember(name, world, bootstrapDcs(options.sync(), failsafe), base));
  }

  /** The cluster-wide configuration the first member writes: the scenario's timings and modes. */
  static ObjectNode bootstrapDcs(SyncSettings sync, boolean failsafe) {
    ObjectNode dcs = ClusterCodec.nodes().objectNode();
    if (failsafe) {
      dcs.put("failsafe_mode", true);
    }
    dcs.put("ttl", TTL_SECONDS);
    dcs.put("loop_wait", LOOP_WAIT_SECONDS);
    dcs.put("retry_timeout", 2);
    dcs.put("maximum_lag_on_failover", 1_048_576);
    switch (sync.mode()) {
      case ON -> dcs.put("synchronous_mode", true);
      case QUORUM -> dcs.put("synchronous_mode", "quorum");
      default -> dcs.put("synchronous_mode", false);
    }
    dcs.put("synchronous_mode_strict", sync.strict());
    dcs.put("synchronous_node_count", sync.nodeCount());
    ObjectNode pg = dcs.putObject("postgresql");
    pg.put("use_pg_rewind", true);
    // Slots are not modelled.
    pg.put("use_slots", false);
    return dcs;
  }

  /**
   * A schedule written by hand: seed {@code seed}, DCS failsafe mode on when {@code failsafe},
   * every invariant checked after each event, the cluster started; {@code schedule} runs the faults
   * and the simulated time (its own horizons), and the run is returned with its trace.
   */
  static SimRun handMade(
      long seed, boolean failsafe, java.util.function.BiConsumer<Simulation, SimCluster> schedule) {
    Path base = tempDir();
    try {
      return Carrier.call(
          () -> {
            Simulation sim = new Simulation(seed);
            try (SimLog log = SimLog.into(sim, base);
                SimCluster cluster = cluster(sim, SimCluster.Options.FULL, failsafe, base)) {
              FaultSchedule.checkInvariants(sim, cluster);
              cluster.start(Duration.ofSeconds(LOOP_WAIT_SECONDS));
              schedule.accept(sim, cluster);
              return new SimRun(
                  sim.seed(), sim.trace(), cluster.notConverged(), cluster.timelineReused());
            }
          });
    } finally {
      delete(base);
    }
  }

  static Path tempDir() {
    try {
      return Files.createTempDirectory("regent-sim");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path base) {
    try (Stream<Path> files = Files.walk(base)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
