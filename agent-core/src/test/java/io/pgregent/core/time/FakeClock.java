package io.pgregent.core.time;

import java.time.Duration;

/** A clock that moves only when told: both clocks advance together, the wall clock may jump. */
public final class FakeClock implements Clock {

  private long nanos;
  // The wall clock derives from the monotonic one so that sub-millisecond steps add up.
  private long wallOffsetMillis;

  public FakeClock(long wallMillis) {
    this.wallOffsetMillis = wallMillis;
  }

  @Override
  public synchronized long nanoTime() {
    return nanos;
  }

  @Override
  public synchronized long wallMillis() {
    return wallOffsetMillis + Math.floorDiv(nanos, 1_000_000L);
  }

  /** Lets {@code d} pass on both clocks. */
  public synchronized void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not run backwards: " + d);
    }
    nanos += d.toNanos();
  }

  /** Moves the wall clock only (an NTP step or an operator's change): leases must not notice. */
  public synchronized void jumpWall(Duration d) {
    wallOffsetMillis += d.toMillis();
  }
}
