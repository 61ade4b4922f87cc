package io.pgregent.core.sim;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A one-permit handoff between two threads that take turns: the taker may spin briefly before it
 * parks, when the other side usually hands over within microseconds (a parked taker costs a
 * scheduler wake-up per turn).
 */
final class Handoff {

  private final int spins;
  private volatile boolean ready;
  private volatile Thread waiter;

  /**
   * @param spins how many times the taker looks before it parks
   */
  Handoff(int spins) {
    this.spins = spins;
  }

  void release() {
    ready = true;
    Thread w = waiter;
    if (w != null) {
      LockSupport.unpark(w);
    }
  }

  void acquire() {
    if (!spin()) {
      waiter = Thread.currentThread();
      while (!ready) {
        LockSupport.park(this);
      }
      waiter = null;
    }
    ready = false;
  }

  /** As {@link #acquire()}, giving up after {@code timeoutMillis} of real time. */
  boolean tryAcquire(long timeoutMillis) {
    if (!spin()) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      waiter = Thread.currentThread();
      while (!ready) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          waiter = null;
          return false;
        }
        LockSupport.parkNanos(this, left);
      }
      waiter = null;
    }
    ready = false;
    return true;
  }

  private boolean spin() {
    for (int i = 0; i < spins; i++) {
      if (ready) {
        return true;
      }
      Thread.onSpinWait();
    }
    return ready;
  }
}
