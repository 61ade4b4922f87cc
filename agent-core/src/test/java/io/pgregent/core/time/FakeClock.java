package io.pgregent.core.time;

import java.time.Duration;

/** A clock that moves only when told: both clocks advance together, the wall clock may jump. */
public final class FakeClock implements Clock {

  private long nanos;
  private long wallMillis;

  public FakeClock(long wallMillis) {
    this.wallMillis = wallMillis;
  }

  @Override
  public synchronized long nanoTime() {
    return nanos;
  }

  @Override
  public synchronized long wallMillis() {
    return wallMillis;
  }

  /** Lets {@code d} pass on both clocks. */
  public synchronized void advance(Duration d) {
    nanos += d.toNanos();
    wallMillis += d.toMillis();
  }

  /** Moves the wall clock only (an NTP step or an operator's change): leases must not notice. */
  public synchronized void jumpWall(Duration d) {
    wallMillis += d.toMillis();
  }
}
