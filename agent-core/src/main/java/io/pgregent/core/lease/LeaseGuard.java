package io.pgregent.core.lease;

import io.pgregent.core.time.TaskRunner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's lease deadline and its enforcement inside the agent. The deadline is the monotonic
 * time the last successful renewal was <em>sent</em>, plus the store's lease ttl, minus a safety
 * margin: the store cannot have let the lease lapse before it. Past the deadline without a newer
 * renewal, PostgreSQL must not be writable, whatever the HA loop is doing — so a thread of its own
 * stops it, and health checks that route writes stop answering "primary".
 *
 * <p>What a frozen JVM cannot do (SIGSTOP, a long pause) the fence process and the watchdog do:
 * {@link Listener}s hear of each renewal and carry the deadline outside.
 */
public final class LeaseGuard implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LeaseGuard.class);

  /** No deadline: we vouch for no lease (not the leader, or the primary stopped writing). */
  private static final long NONE = Long.MIN_VALUE;

  /** Hears of renewals and of the end of leadership, e.g. to carry the deadline to a fence. */
  public interface Listener {
    /** A renewal succeeded: PostgreSQL may stay writable for {@code remaining} from now. */
    void renewed(Duration remaining);

    /** We vouch for no lease any more (demoted, stopped, paused). */
    void cleared();
  }

  private final LongSupplier clock;
  private final Runnable stopWrites;
  private final Object lock = new Object();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final TaskRunner.Signal changed;
  private final TaskRunner.Task thread;
  private long deadline = NONE;
  private long expiredCount;
  private boolean closed;

  /**
   * @param clock the monotonic clock ({@link System#nanoTime()})
   * @param runner starts the guard's own thread; its waits are timed on {@code clock}
   * @param stopWrites stops PostgreSQL at once; runs on the guard's own thread
   * @param name this member's name, for the thread's name
   */
  public LeaseGuard(LongSupplier clock, TaskRunner runner, Runnable stopWrites, String name) {
    this.clock = clock;
    this.stopWrites = stopWrites;
    this.changed = runner.signal();
    this.thread = runner.start("lease-guard-" + name, this::run);
  }

  /** The default safety margin: max(1 s, ttl / 5). */
  public static Duration defaultMargin(Duration ttl) {
    Duration fifth = ttl.dividedBy(5);
    return fifth.compareTo(Duration.ofSeconds(1)) > 0 ? fifth : Duration.ofSeconds(1);
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /**
   * A renewal sent at {@code sentAtNanos} succeeded: PostgreSQL may be writable until that time
   * plus {@code leaseTtl} minus {@code margin}. A deadline never moves back.
   */
  public void renewed(long sentAtNanos, Duration leaseTtl, Duration margin) {
    // A store may keep the lease for less than the ttl (ZooKeeper's negotiated session timeout):
    // a margin sized for the ttl must still leave part of that shorter lease.
    long marginNanos = Math.min(margin.toNanos(), leaseTtl.toNanos() / 2);
    long next = sentAtNanos + leaseTtl.toNanos() - marginNanos;
    long remaining;
    boolean moved = false;
    synchronized (lock) {
      if (deadline == NONE || next - deadline > 0) {
        deadline = next;
        moved = true;
      }
      remaining = deadline - clock.getAsLong();
    }
    if (moved) {
      changed.raise();
    }
    Duration left = Duration.ofNanos(Math.max(0, remaining));
    for (Listener l : listeners) {
      try {
        l.renewed(left);
      } catch (RuntimeException e) {
        log.warn("lease listener failed: {}", e.getMessage());
      }
    }
  }

  /** We no longer vouch for a lease: PostgreSQL stopped being a writable primary, or let go. */
  public void clear() {
    boolean had;
    synchronized (lock) {
      had = deadline != NONE;
      deadline = NONE;
    }
    changed.raise();
    if (had) {
      for (Listener l : listeners) {
        try {
          l.cleared();
        } catch (RuntimeException e) {
          log.warn("lease listener failed: {}", e.getMessage());
        }
      }
    }
  }

  /** A renewal vouches for a lease now. */
  public boolean valid() {
    synchronized (lock) {
      return deadline != NONE && clock.getAsLong() - deadline < 0;
    }
  }

  /** Time left before the deadline, empty when we vouch for no lease. */
  public java.util.Optional<Duration> remaining() {
    synchronized (lock) {
      return deadline == NONE
          ? java.util.Optional.empty()
          : java.util.Optional.of(Duration.ofNanos(Math.max(0, deadline - clock.getAsLong())));
    }
  }

  /** The deadline is set but passed: a leader whose lease may be gone. */
  public boolean expired() {
    synchronized (lock) {
      return deadline != NONE && clock.getAsLong() - deadline >= 0;
    }
  }

  /** How often the guard had to stop PostgreSQL itself. */
  public long expiredCount() {
    synchronized (lock) {
      return expiredCount;
    }
  }

  private void run() {
    while (true) {
      // Read before looking, so that a renewal or a close after the look is not missed.
      long seen = changed.count();
      long waitNanos;
      long missed = NONE;
      synchronized (lock) {
        if (closed) {
          return;
        }
        if (deadline == NONE) {
          waitNanos = -1;
        } else {
          waitNanos = deadline - clock.getAsLong();
          if (waitNanos <= 0) {
            missed = deadline;
            deadline = NONE;
            expiredCount++;
          }
        }
      }
      if (missed == NONE) {
        try {
          changed.await(seen, waitNanos);
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      log.error(
          "the leader lease deadline passed {} ms ago without a renewal: stopping PostgreSQL",
          (clock.getAsLong() - missed) / 1_000_000);
      // Listeners keep their own deadline: a fence fires on its own if this stop fails.
      try {
        stopWrites.run();
      } catch (RuntimeException e) {
        log.error("could not stop PostgreSQL at the lease deadline: {}", e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
    changed.raise();
    try {
      thread.join(5_000_000_000L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
