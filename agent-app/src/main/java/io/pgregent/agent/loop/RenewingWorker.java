package io.pgregent.agent.loop;

import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import java.time.Duration;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs slow PostgreSQL work off the loop thread and waits for it; while it runs, a leader renews
 * its lock every loop_wait, so the lease outlives the work. When a renewal fails, renewing stops
 * and the lease guard stops PostgreSQL at the deadline, whatever the work is doing.
 */
final class RenewingWorker {

  private static final Logger log = LoggerFactory.getLogger(RenewingWorker.class);

  private final String member;
  private final LoopState state;
  private final LoopHooks hooks;
  private final LockKeeper lock;
  private final Clock clock;
  private final TaskRunner runner;
  // The last work started; the next one starts once it has ended (one at a time).
  private Work last;

  /** One piece of work on a thread of its own. */
  private static final class Work {
    final TaskRunner.Signal ended;
    volatile boolean finished;
    volatile Throwable failure;
    TaskRunner.Task task;

    Work(TaskRunner.Signal ended) {
      this.ended = ended;
    }
  }

  RenewingWorker(
      String member,
      LoopState state,
      LoopHooks hooks,
      LockKeeper lock,
      Clock clock,
      TaskRunner runner) {
    this.member = member;
    this.state = state;
    this.hooks = hooks;
    this.lock = lock;
    this.clock = clock;
    this.runner = runner;
  }

  /** Runs {@code work} to its end, renewing the lock meanwhile. */
  void run(String what, Runnable work) {
    run(what, work, OptionalLong.empty());
  }

  /**
   * As {@link #run(String, Runnable)}, but the work is given up at {@code giveUpAtNanos}
   * (monotonic): it is interrupted, the commands it runs are killed, and this returns false once it
   * has ended. True when the work completed.
   */
  boolean run(String what, Runnable work, OptionalLong giveUpAtNanos) {
    Work w = start(work);
    boolean renewing = state.holdsLock;
    while (true) {
      long seen = w.ended.count();
      if (w.finished) {
        rethrow(w);
        return true;
      }
      long waitNanos = Duration.ofSeconds(Math.max(1, hooks.loopWaitSeconds())).toNanos();
      if (giveUpAtNanos.isPresent()) {
        waitNanos =
            Math.max(1_000_000L, Math.min(waitNanos, giveUpAtNanos.getAsLong() - clock.nanoTime()));
      }
      try {
        w.ended.await(seen, waitNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(what + " interrupted");
      }
      if (w.finished) {
        continue;
      }
      if (giveUpAtNanos.isPresent() && clock.nanoTime() - giveUpAtNanos.getAsLong() >= 0) {
        w.task.interrupt();
        awaitEnd(w, what);
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
    }
  }

  private Work start(Runnable work) {
    Work previous = last;
    Work w = new Work(runner.signal());
    w.task =
        runner.start(
            "postgres-action-" + member,
            () -> {
              try {
                if (previous != null && !previous.finished) {
                  previous.task.join(Long.MAX_VALUE);
                }
                work.run();
              } catch (InterruptedException e) {
                w.failure = new IllegalStateException("interrupted before it started");
              } catch (RuntimeException | Error e) {
                w.failure = e;
              } finally {
                w.finished = true;
                w.ended.raise();
              }
            });
    last = w;
    return w;
  }

  private static void rethrow(Work w) {
    Throwable f = w.failure;
    if (f instanceof RuntimeException r) {
      throw r;
    }
    if (f != null) {
      throw new IllegalStateException(f);
    }
  }

  /** Gives interrupted work a minute to end; the next work waits for it in any case. */
  private void awaitEnd(Work w, String what) {
    try {
      w.task.join(Duration.ofMinutes(1).toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + " interrupted");
    }
    if (!w.finished) {
      log.warn("{}: the cancelled work did not end", what);
    }
  }

  void close() {
    Work w = last;
    if (w != null && !w.finished) {
      w.task.interrupt();
    }
  }
}
