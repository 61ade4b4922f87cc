package io.pgregent.core.time;

/**
 * The agent's two clocks: a monotonic one for leases, deadlines and timeouts, and the wall clock
 * for what is scheduled or shown by date. Injected wherever the agent reads time, so that a
 * simulation can run the same code in time of its own; production passes {@link #system()}.
 */
public interface Clock {

  /** Monotonic nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
  long nanoTime();

  /** Milliseconds since the epoch, as {@link System#currentTimeMillis()}. */
  long wallMillis();

  /** The machine's clocks. */
  static Clock system() {
    return SystemClock.INSTANCE;
  }
}
