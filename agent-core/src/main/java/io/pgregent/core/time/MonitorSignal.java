package io.pgregent.core.time;

import java.util.concurrent.TimeUnit;

/** A {@link TaskRunner.Signal} for the machine's threads: a monitor, timed in real time. */
public final class MonitorSignal implements TaskRunner.Signal {

  private long count;

  @Override
  public synchronized long count() {
    return count;
  }

  @Override
  public synchronized void raise() {
    count++;
    notifyAll();
  }

  @Override
  public synchronized void await(long seen, long timeoutNanos) throws InterruptedException {
    long end = System.nanoTime() + timeoutNanos;
    while (count == seen) {
      if (timeoutNanos < 0) {
        wait();
        continue;
      }
      long left = end - System.nanoTime();
      if (left <= 0) {
        return;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }
}
