package io.pgregent.core.dcs;

import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The scheduler a store client runs its background work on (ZooKeeper's loop watchdog, Consul's
 * blocking queries), handed to it by whoever opens the store so that no store class makes threads
 * of its own. Either lent (its owner stops it) or a single daemon thread made for one client and
 * stopped when that client closes.
 */
public final class DcsScheduler implements AutoCloseable {

  private final ScheduledExecutorService executor;
  private final boolean owned;

  private DcsScheduler(ScheduledExecutorService executor, boolean owned) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.owned = owned;
  }

  /** A scheduler its owner stops; {@link #close()} leaves it running. */
  public static DcsScheduler lent(ScheduledExecutorService executor) {
    return new DcsScheduler(executor, false);
  }

  /** One daemon thread named {@code threadName}, stopped by {@link #close()}. */
  public static DcsScheduler ownThread(String threadName) {
    Objects.requireNonNull(threadName, "threadName");
    return new DcsScheduler(
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            }),
        true);
  }

  /** The target's scheduler when it has one, else a thread of the client's own. */
  public static DcsScheduler of(DcsTarget target, String threadName) {
    return target.scheduler().map(DcsScheduler::lent).orElseGet(() -> ownThread(threadName));
  }

  public ScheduledExecutorService executor() {
    return executor;
  }

  /** Stops the thread made for this client (interrupting its work); a lent scheduler runs on. */
  @Override
  public void close() {
    if (owned) {
      executor.shutdownNow();
    }
  }
}
