package io.pgregent.agent.sim;

import io.pgregent.core.sim.FaultSchedule;
import io.pgregent.core.sim.SimRange;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's own loop in the fault scenario over a range of seeds, as {@code bench/simulate.sh
 * --scenario loop} (or {@code loop-failsafe}, with DCS failsafe mode on) runs it (the properties of
 * {@link SimRange}).
 */
class LoopSimulationRangeTests {

  @Test
  void everyScheduleOfTheRangeIsSafeAndConverges() throws IOException {
    List<FaultSchedule.Fault> faults = SimRange.faults();
    boolean failsafe = "loop-failsafe".equals(System.getProperty("regent.sim.scenario"));
    SimRange.run(seed -> LoopSimulation.run(seed, faults, failsafe));
  }
}
