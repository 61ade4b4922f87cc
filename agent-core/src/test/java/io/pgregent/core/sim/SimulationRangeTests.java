package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A simulation scenario over a range of seeds, as {@code bench/simulate.sh} runs it: {@code
 * -Dregent.sim.scenario=faults} ({@link FaultSimulationTests}, the default) or {@code leader-crash}
 * ({@link LeaderCrashSimulationTests}); {@code -Dregent.sim.seeds=FIRST-LAST} (seeds 1–20 by
 * default, so the runner itself is tested), or {@code -Dregent.sim.seed=S} to replay one seed: its
 * whole trace, the same bytes every time. A range ends with one line: {@code <N> schedules, <V>
 * violations, <R> schedules/s}. With {@code -Dregent.sim.out=FILE} that output also goes to FILE.
 */
class SimulationRangeTests {

  @Test
  void everyScheduleOfTheRangeIsSafeAndConverges() throws IOException {
    String one = System.getProperty("regent.sim.seed", "");
    long first;
    long last;
    if (!one.isBlank()) {
      first = Long.parseLong(one.trim());
      last = first;
    } else {
      String[] range = System.getProperty("regent.sim.seeds", "1-20").trim().split("-", 2);
      first = Long.parseLong(range[0]);
      last = range.length > 1 ? Long.parseLong(range[1]) : first;
    }
    boolean leaderCrash =
        switch (System.getProperty("regent.sim.scenario", "faults").trim()) {
          case "faults" -> false;
          case "leader-crash" -> true;
          default ->
              throw new IllegalArgumentException(
                  "regent.sim.scenario: faults or leader-crash, not "
                      + System.getProperty("regent.sim.scenario"));
        };
    // The fault scenario's faults: all of them, or those of its first day (older ranges replay).
    List<FaultSimulationTests.Fault> faults =
        switch (System.getProperty("regent.sim.faults", "all").trim()) {
          case "all" -> FaultSimulationTests.Fault.ALL;
          case "first-day" -> FaultSimulationTests.Fault.FIRST_DAY;
          default ->
              throw new IllegalArgumentException(
                  "regent.sim.faults: all or first-day, not "
                      + System.getProperty("regent.sim.faults"));
        };
    List<String> violations = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    long started = System.nanoTime();
    for (long seed = first; seed <= last; seed++) {
      try {
        LeaderCrashSimulationTests.Run r =
            leaderCrash
                ? LeaderCrashSimulationTests.run(seed)
                : FaultSimulationTests.run(seed, faults);
        if (!one.isBlank()) {
          out.append(r.trace());
        }
        if (r.notConverged() != null) {
          violations.add("seed " + seed + ": not converged: " + r.notConverged());
        }
      } catch (Simulation.Violation v) {
        violations.add(v.getMessage());
      }
    }
    violations.forEach(v -> out.append(v).append('\n'));
    if (one.isBlank()) {
      long n = last - first + 1;
      double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
      out.append(
          String.format(
              Locale.ROOT,
              "%d schedules, %d violations, %.1f schedules/s%n",
              n,
              violations.size(),
              n / seconds));
    }
    System.out.print(out);
    String file = System.getProperty("regent.sim.out", "");
    if (!file.isBlank()) {
      Files.writeString(Path.of(file), out, StandardCharsets.UTF_8);
    }
    assertThat(violations).isEmpty();
  }
}
