package io.pgregent.core.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.sim.DriftingClock;
import io.pgregent.core.sim.SimThreads;
import io.pgregent.core.sim.Simulation;
import io.pgregent.core.time.TaskRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The production {@link LeaseGuard}, its own thread included, in simulated time ({@link
 * SimThreads}): the deadline is enforced at the simulated instant it falls due, on the machine's
 * own (drifting) clock, and a frozen agent's guard stops nothing until it thaws (the fence's job).
 */
class LeaseGuardSimulationTests {

  private static final Duration TTL = Duration.ofSeconds(5);
  private static final Duration MARGIN = Duration.ofSeconds(1);

  private final List<SimThreads> runs = new ArrayList<>();

  @AfterEach
  void stopThreads() {
    runs.forEach(SimThreads::close);
  }

  /** A simulated machine with a guard whose stops are traced. */
  private final class Machine {
    final Simulation sim;
    final DriftingClock clock;
    final SimThreads.Process process;
    final LeaseGuard guard;
    final List<String> stops = new ArrayList<>();

    Machine(long seed, long driftPpm) {
      sim = new Simulation(seed);
      SimThreads threads = new SimThreads(sim);
      runs.add(threads);
      clock = new DriftingClock(sim);
      clock.drift(driftPpm);
      process = threads.process("n1", clock);
      guard =
          new LeaseGuard(
              clock::nanoTime,
              process,
              () -> {
                stops.add(millis(sim.nowNanos()));
                sim.trace("guard stopped PostgreSQL");
              },
              "n1");
    }

    /** One renewal, sent at {@code at} on the machine's clock. */
    void renewOnceAt(Duration at) {
      sim.schedule(at, "renew", () -> guard.renewed(clock.nanoTime(), TTL, MARGIN));
    }

    /** A loop on the machine's own thread renewing every second until {@code stallAt}. */
    void renewEverySecondUntil(Duration stallAt) {
      TaskRunner.Signal never = process.signal();
      process.start(
          "loop",
          () -> {
            while (sim.nowNanos() < stallAt.toNanos()) {
              guard.renewed(clock.nanoTime(), TTL, MARGIN);
              sim.trace("renewed");
              try {
                never.await(never.count(), Duration.ofSeconds(1).toNanos());
              } catch (InterruptedException e) {
                return;
              }
            }
            sim.trace("loop stalled");
          });
    }
  }

  private static String millis(long nanos) {
    return nanos / 1_000_000 + " ms";
  }

  @Test
  void withoutARenewalTheGuardStopsPostgresAtTheDeadlineOnTheMachinesClock() {
    Machine m = new Machine(1, 0);
    m.renewOnceAt(Duration.ofMillis(500));
    m.sim.runFor(Duration.ofSeconds(20));
    assertThat(m.stops).containsExactly("4500 ms");
    assertThat(m.guard.expiredCount()).isEqualTo(1);

    // On a clock 2 % fast the renewal is sent at 510 ms and its deadline, 4510 ms on that clock,
    // falls due sooner in simulated time: 4510 / 1.02.
    Machine fast = new Machine(1, 20_000);
    fast.renewOnceAt(Duration.ofMillis(500));
    fast.sim.runFor(Duration.ofSeconds(20));
    assertThat(fast.stops).containsExactly("4421 ms");
  }

  @Test
  void renewalsKeepPostgresRunningUntilTheLoopStalls() {
    Machine m = new Machine(1, 0);
    m.renewEverySecondUntil(Duration.ofMillis(10_500));
    m.sim.runFor(Duration.ofSeconds(30));
    // The last renewal was sent at 10 s: its deadline is 14 s, and nothing stopped before.
    assertThat(m.stops).containsExactly("14000 ms");
  }

  @Test
  void aFrozenAgentsGuardStopsNothingUntilItThaws() {
    Machine m = new Machine(1, 0);
    m.renewEverySecondUntil(Duration.ofMillis(2500));
    m.sim.schedule(Duration.ofMillis(2500), "freeze", m.process::freeze);
    List<Integer> stopsBeforeThaw = new ArrayList<>();
    m.sim.schedule(Duration.ofMillis(8999), "look", () -> stopsBeforeThaw.add(m.stops.size()));
    m.sim.schedule(Duration.ofSeconds(9), "thaw", m.process::thaw);
    m.sim.runFor(Duration.ofSeconds(20));
    // The last renewal, at 2 s, ran out at 6 s: the frozen guard acts only once thawed (a fence
    // outside the agent is what stops PostgreSQL in time then).
    assertThat(stopsBeforeThaw).containsExactly(0);
    assertThat(m.stops).containsExactly("9000 ms");
    assertThat(m.guard.valid()).isFalse();
  }

  @Test
  void aClearedGuardStopsNothing() {
    Machine m = new Machine(1, 0);
    m.renewOnceAt(Duration.ofMillis(500));
    m.sim.schedule(Duration.ofSeconds(2), "clear", m.guard::clear);
    m.sim.runFor(Duration.ofSeconds(20));
    assertThat(m.stops).isEmpty();
    assertThat(m.guard.valid()).isFalse();
  }

  @Test
  void theSameSeedGivesTheSameTrace() {
    Machine a = new Machine(3, 7_000);
    a.renewEverySecondUntil(Duration.ofSeconds(7));
    a.sim.runFor(Duration.ofSeconds(15));
    Machine b = new Machine(3, 7_000);
    b.renewEverySecondUntil(Duration.ofSeconds(7));
    b.sim.runFor(Duration.ofSeconds(15));
    assertThat(a.sim.trace()).contains("guard stopped PostgreSQL").isEqualTo(b.sim.trace());
  }
}
