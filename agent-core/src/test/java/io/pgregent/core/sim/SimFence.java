package io.pgregent.core.sim;

import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.lease.LeaseGuard;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * A machine's fence, a process of its own beside PostgreSQL: it hears each renewal the agent's
 * lease guard takes, holds the same deadline on the machine's clock, and stops PostgreSQL at it
 * when the agent, frozen, cannot.
 */
public final class SimFence implements LeaseGuard.Listener {

  private static final long NONE = Long.MIN_VALUE;

  private final Simulation sim;
  private final DriftingClock clock;
  private final PgModel pg;
  private final String name;
  private final BooleanSupplier agentFrozen;
  private long deadline = NONE;
  private long generation;

  /**
   * @param agentFrozen whether the machine is up with its agent frozen
   */
  public SimFence(
      Simulation sim, DriftingClock clock, PgModel pg, String name, BooleanSupplier agentFrozen) {
    this.sim = sim;
    this.clock = clock;
    this.pg = pg;
    this.name = name;
    this.agentFrozen = agentFrozen;
  }

  @Override
  public void renewed(Duration remaining) {
    deadline = clock.nanoTime() + remaining.toNanos();
    long g = ++generation;
    sim.scheduleAt(clock.simNanosAt(deadline), "fence deadline " + name, () -> check(g));
  }

  /** The guard cleared the deadline, or the machine died: nothing to enforce. */
  @Override
  public void cleared() {
    deadline = NONE;
    generation++;
  }

  private void check(long g) {
    if (g != generation || !agentFrozen.getAsBoolean() || clock.nanoTime() - deadline < 0) {
      return;
    }
    deadline = NONE;
    if (pg.run() == PostgresRunState.RUNNING) {
      sim.trace(name + " fence: the lease deadline passed, stopping PostgreSQL");
      pg.stop(false);
    }
  }
}
