package io.pgregent.core.time;

/**
 * Where the agent's own threads come from and how they wait: the machine's threads in production, a
 * simulation's in tests (there they run one at a time, in simulated time). Code run this way waits
 * only through a {@link Signal} of its runner, never on a monitor or in real time, so that a
 * simulation sees every wait.
 */
public interface TaskRunner {

  /** Starts {@code body} on a daemon thread of its own. */
  Task start(String name, Runnable body);

  /** A new signal for this runner's threads to wait on. */
  Signal signal();

  /** A started thread. */
  interface Task {
    /** Waits up to {@code timeoutNanos} (on the runner's clock) for the thread to end. */
    void join(long timeoutNanos) throws InterruptedException;

    /** Interrupts the thread: its waits throw {@link InterruptedException}, its commands end. */
    void interrupt();
  }

  /**
   * A change count threads wait on. A waiter passes the count it saw before it looked at what it
   * waits for, so a {@link #raise()} between its look and its wait is never lost.
   */
  interface Signal {
    long count();

    /** Counts one change and wakes every waiter. */
    void raise();

    /**
     * Returns once the count differs from {@code seen}, or {@code timeoutNanos} passed on the
     * runner's monotonic clock (negative: no timeout). May return early: callers look again.
     */
    void await(long seen, long timeoutNanos) throws InterruptedException;
  }
}
