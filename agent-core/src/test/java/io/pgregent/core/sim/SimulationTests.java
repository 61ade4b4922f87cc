package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulationTests {

  /** Three "processes" that reschedule themselves after random delays, tracing each tick. */
  private static String run(long seed) {
    Simulation sim = new Simulation(seed);
    for (String name : List.of("a", "b", "c")) {
      tick(sim, name);
    }
    sim.runFor(Duration.ofSeconds(30));
    return sim.trace();
  }

  private static void tick(Simulation sim, String name) {
    sim.schedule(
        sim.between(Duration.ofMillis(1), Duration.ofSeconds(2)),
        name,
        () -> {
          sim.trace(name + " wall=" + sim.clock().wallMillis());
          tick(sim, name);
        });
  }

  @Test
  void theSameSeedGivesTheSameTraceByteForByte() {
    assertThat(run(42)).isEqualTo(run(42)).isNotEmpty();
    assertThat(run(42)).isNotEqualTo(run(43));
  }

  @Test
  void eventsRunInTimeOrderAndSameInstantEventsInSchedulingOrder() {
    Simulation sim = new Simulation(1);
    List<String> order = new ArrayList<>();
    sim.schedule(Duration.ofSeconds(2), "late", () -> order.add("late"));
    sim.schedule(Duration.ofSeconds(1), "first", () -> order.add("first"));
    sim.schedule(Duration.ofSeconds(1), "second", () -> order.add("second"));
    sim.runFor(Duration.ofSeconds(10));
    assertThat(order).containsExactly("first", "second", "late");
    assertThat(sim.clock().nanoTime()).isEqualTo(Duration.ofSeconds(10).toNanos());
    assertThat(sim.clock().wallMillis()).isEqualTo(Simulation.EPOCH_MILLIS + 10_000);
  }

  @Test
  void theClockStandsAtEachEventsTime() {
    Simulation sim = new Simulation(1);
    List<Long> seen = new ArrayList<>();
    sim.schedule(Duration.ofMillis(1500), "e", () -> seen.add(sim.nowNanos()));
    sim.runFor(Duration.ofSeconds(2));
    assertThat(seen).containsExactly(1_500_000_000L);
  }

  @Test
  void eventsThatNeverLetTimeMoveAreALivelock() {
    Simulation sim = new Simulation(5);
    Runnable[] again = new Runnable[1];
    again[0] = () -> sim.schedule(Duration.ZERO, "again", again[0]);
    sim.schedule(Duration.ofSeconds(1), "again", again[0]);
    assertThatThrownBy(() -> sim.runFor(Duration.ofSeconds(10)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("invariant 'progress' violated");
  }

  @Test
  void aViolatedInvariantStopsTheRunNamingSeedStepAndInvariant() {
    Simulation sim = new Simulation(7);
    int[] counter = {0};
    sim.check("counter stays below 3", () -> counter[0] < 3 ? null : "counter=" + counter[0]);
    for (int i = 0; i < 5; i++) {
      sim.schedule(Duration.ofSeconds(i), "inc", () -> counter[0]++);
    }
    assertThatThrownBy(() -> sim.runFor(Duration.ofSeconds(10)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("seed 7, step 3 (inc)")
        .hasMessageContaining("'counter stays below 3' violated: counter=3");
  }
}
