package io.pgregent.dcs.zookeeper;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * Watches the HA loop's heartbeat where the store client keeps a session alive by itself: when no
 * heartbeat arrives within ttl minus a margin (max(1 s, ttl/5)), it calls the stall action once,
 * and stays quiet until the next heartbeat arms it again.
 *
 * <p>The stall action runs under the watchdog's lock, so a heartbeat never interleaves with it: a
 * heartbeat either comes before the check (and the loop is alive) or after the action is done.
 */
final class LoopWatchdog {

  private final ScheduledExecutorService scheduler;
  private final Supplier<Duration> ttl;
  private final LongFunction<Runnable> onStall;
  private final Object lock = new Object();
  // All guarded by lock.
  private boolean armed;
  private boolean closed;
  private long heartbeatNanos;
  private ScheduledFuture<?> check;

  /**
   * @param scheduler runs the checks; not shut down here
   * @param ttl the ttl in force
   * @param onStall given the silence in milliseconds, acts at once (under the lock) and returns
   *     what may run after the lock is released (e.g. closing a client)
   */
  LoopWatchdog(
      ScheduledExecutorService scheduler, Supplier<Duration> ttl, LongFunction<Runnable> onStall) {
    this.scheduler = scheduler;
    this.ttl = ttl;
    this.onStall = onStall;
  }

  /** The loop completed a cycle: the silence starts again, and watching starts if it had not. */
  void heartbeat() {
    synchronized (lock) {
      heartbeatNanos = System.nanoTime();
      arm();
    }
  }

  /** Starts watching from now if not yet watching: keys are bound to the session from now on. */
  void armIfIdle() {
    synchronized (lock) {
      if (!armed) {
        heartbeatNanos = System.nanoTime();
        arm();
      }
    }
  }

  /** ttl minus max(1 s, ttl/5): the longest the loop may go without a heartbeat. */
  long limitNanos() {
    long t = ttl.get().toNanos();
    long margin = Math.max(TimeUnit.SECONDS.toNanos(1), t / 5);
    return Math.max(t - margin, TimeUnit.MILLISECONDS.toNanos(500));
  }

  private void arm() {
    if (armed || closed) {
      return;
    }
    armed = true;
    check = scheduler.schedule(this::check, limitNanos(), TimeUnit.NANOSECONDS);
  }

  private void check() {
    Runnable after;
    synchronized (lock) {
      if (!armed || closed) {
        return;
      }
      long now = System.nanoTime();
      long due = heartbeatNanos + limitNanos();
      if (now < due) {
        check = scheduler.schedule(this::check, due - now, TimeUnit.NANOSECONDS);
        return;
      }
      armed = false;
      check = null;
      after = onStall.apply(TimeUnit.NANOSECONDS.toMillis(now - heartbeatNanos));
    }
    after.run();
  }

  /** Stops watching for good. */
  void close() {
    synchronized (lock) {
      closed = true;
      armed = false;
      if (check != null) {
        check.cancel(false);
        check = null;
      }
    }
  }
}
