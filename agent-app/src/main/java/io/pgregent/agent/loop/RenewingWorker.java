package io.pgregent.agent.loop;

import io.pgregent.core.dcs.DcsException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs slow PostgreSQL work off the loop thread and waits for it; while it runs, a leader renews
 * its lock every loop_wait, so the lease outlives the work. When a renewal fails, renewing stops
 * and the lease guard stops PostgreSQL at the deadline, whatever the work is doing.
 */
final class RenewingWorker {

  private static final Logger log = LoggerFactory.getLogger(RenewingWorker.class);

  private final LoopState state;
  private final LoopHooks hooks;
  private final LockKeeper lock;
  private final LongSupplier nanos;
  private final ExecutorService worker;

  RenewingWorker(
      String member, LoopState state, LoopHooks hooks, LockKeeper lock, LongSupplier nanos) {
    this.state = state;
    this.hooks = hooks;
    this.lock = lock;
    this.nanos = nanos;
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "postgres-action-" + member);
              t.setDaemon(true);
              return t;
            });
  }

  /** Runs {@code work} to its end, renewing the lock meanwhile. */
  void run(String what, Runnable work) {
    run(what, work, OptionalLong.empty());
  }

  /**
   * As {@link #run(String, Runnable)}, but the work is given up at {@code giveUpAtNanos}
   * (monotonic): it is cancelled, the commands it runs are killed, and this returns false once it
   * has ended. True when the work completed.
   */
  boolean run(String what, Runnable work, OptionalLong giveUpAtNanos) {
    Future<?> done = worker.submit(work);
    boolean renewing = state.holdsLock;
    while (true) {
      long waitNanos = Duration.ofSeconds(Math.max(1, hooks.loopWaitSeconds())).toNanos();
      if (giveUpAtNanos.isPresent()) {
        waitNanos =
            Math.max(
                1_000_000L, Math.min(waitNanos, giveUpAtNanos.getAsLong() - nanos.getAsLong()));
      }
      try {
        done.get(waitNanos, TimeUnit.NANOSECONDS);
        return true;
      } catch (TimeoutException e) {
        if (giveUpAtNanos.isPresent() && nanos.getAsLong() - giveUpAtNanos.getAsLong() >= 0) {
          done.cancel(true);
          awaitIdle(what);
          return false;
        }
        if (renewing) {
          try {
            renewing = lock.refresh();
          } catch (DcsException ex) {
            renewing = false;
          }
          if (renewing) {
            hooks.leaseRenewed();
          } else {
            log.warn("{}: the leader lock could not be renewed while PostgreSQL works", what);
          }
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(what + " interrupted");
      }
    }
  }

  /** The worker runs one task at a time: a no-op runs once the cancelled task has ended. */
  private void awaitIdle(String what) {
    try {
      worker.submit(() -> {}).get(1, TimeUnit.MINUTES);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("{}: the cancelled work did not end: {}", what, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted");
    }
  }

  void close() {
    worker.shutdownNow();
  }
}
