package io.pgregent.core.sim;

import io.pgregent.core.time.Clock;

/**
 * One machine's clocks in a simulation: its monotonic clock runs {@code ppm} millionths fast (or
 * slow, negative) against simulated time; its wall clock follows simulated time but for jumps.
 */
public final class DriftingClock implements Clock {

  private final Simulation sim;
  private long ppm;
  private long wallOffsetMillis;

  public DriftingClock(Simulation sim) {
    this.sim = sim;
  }

  /** From now on the monotonic clock runs {@code ppm} millionths off simulated time. */
  public void drift(long ppm) {
    this.ppm = ppm;
  }

  /** Moves the wall clock only (an NTP step, an operator's change). */
  public void jumpWall(long millis) {
    wallOffsetMillis += millis;
  }

  @Override
  public long nanoTime() {
    return localAt(sim.nowNanos());
  }

  /** Kept in step by NTP: simulated wall time, moved only by jumps. */
  @Override
  public long wallMillis() {
    return sim.clock().wallMillis() + wallOffsetMillis;
  }

  private long localAt(long simNanos) {
    return simNanos + simNanos * ppm / 1_000_000L;
  }

  /** The first simulated instant, not before now, at which this clock reads {@code local}. */
  public long simNanosAt(long local) {
    long t = local * 1_000_000L / (1_000_000L + ppm);
    while (localAt(t) < local) {
      t++;
    }
    while (t > 0 && localAt(t - 1) >= local) {
      t--;
    }
    return Math.max(t, sim.nowNanos());
  }
}
