package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * Runs a scenario over a range of seeds, as {@code bench/simulate.sh} asks: {@code
 * -Dregent.sim.seeds=FIRST-LAST} (seeds 1–20 by default, so the runner itself is tested), or {@code
 * -Dregent.sim.seed=S} to replay one seed: its whole trace, the same bytes every time. A range ends
 * with one line: {@code <N> schedules, <V> violations, <R> schedules/s}. With {@code
 * -Dregent.sim.out=FILE} that output also goes to FILE. Fails on any violation.
 */
public final class SimRange {

  private SimRange() {}

  /**
   * The fault scenario's faults ({@code -Dregent.sim.faults}): all of them, or those of its first
   * day or of the switchover requests' day (older ranges and seeds replay).
   */
  public static List<FaultSchedule.Fault> faults() {
    return switch (System.getProperty("regent.sim.faults", "all").trim()) {
      case "all" -> FaultSchedule.Fault.ALL;
      case "first-day" -> FaultSchedule.Fault.FIRST_DAY;
      case "switchover-day" -> FaultSchedule.Fault.SWITCHOVER_DAY;
      default ->
          throw new IllegalArgumentException(
              "regent.sim.faults: all, first-day or switchover-day, not "
                  + System.getProperty("regent.sim.faults"));
    };
  }

  public static void run(LongFunction<SimRun> scenario) throws IOException {
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
    List<String> violations = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    long started = System.nanoTime();
    for (long seed = first; seed <= last; seed++) {
      try {
        SimRun r = scenario.apply(seed);
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
