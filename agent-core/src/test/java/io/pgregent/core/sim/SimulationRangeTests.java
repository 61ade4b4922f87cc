package io.pgregent.core.sim;

import java.io.IOException;
import java.util.List;
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
    boolean leaderCrash =
        switch (System.getProperty("regent.sim.scenario", "faults").trim()) {
          case "faults" -> false;
          case "leader-crash" -> true;
          default ->
              throw new IllegalArgumentException(
                  "regent.sim.scenario: faults or leader-crash, not "
                      + System.getProperty("regent.sim.scenario"));
        };
    List<FaultSchedule.Fault> faults = SimRange.faults();
    SimRange.run(
        seed ->
            leaderCrash
                ? LeaderCrashSimulationTests.run(seed)
                : FaultSimulationTests.run(seed, faults));
  }
}
