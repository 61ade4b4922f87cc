package io.pgregent.core.sim;

import io.pgregent.core.time.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A deterministic discrete-event scheduler: one thread, one seeded PRNG, one queue of timed events
 * on simulated time, driving a {@link FakeClock}. Events at the same instant run in the order they
 * were scheduled, so one seed gives one run and one trace, byte for byte.
 *
 * <p>Everything random in a run must draw from {@link #random()}; nothing may read real time.
 * Invariants registered with {@link #check(String, Invariant)} run after every event; the first
 * violation stops the run with the seed, the step and the trace so far.
 */
public final class Simulation {

  /** A property of the simulated world that must hold after every event. */
  @FunctionalInterface
  public interface Invariant {
    /** Null when it holds, else what is wrong. */
    String violation();
  }

  /** Thrown when an invariant fails: carries everything needed to replay the run. */
  public static final class Violation extends AssertionError {
    private static final long serialVersionUID = 1L;

    Violation(String message) {
      super(message);
    }
  }

  private record Event(long atNanos, long seq, String label, Runnable action) {}

  private record Check(String name, Invariant invariant) {}

  /** The simulated wall clock starts here (2026-01-01T00:00:00Z), whatever the seed. */
  public static final long EPOCH_MILLIS = 1_767_225_600_000L;

  private final long seed;
  private final SplittableRandom random;
  private final FakeClock clock = new FakeClock(EPOCH_MILLIS);
  private final PriorityQueue<Event> queue =
      new PriorityQueue<>(
          (a, b) ->
              a.atNanos != b.atNanos
                  ? Long.compare(a.atNanos, b.atNanos)
                  : Long.compare(a.seq, b.seq));
  private final List<Check> checks = new ArrayList<>();
  private final StringBuilder trace = new StringBuilder();
  private long seq;
  private long steps;
  private long sameInstantSteps;

  /** More events than this at one instant is a livelock: simulated time would never move. */
  static final long MAX_STEPS_PER_INSTANT = 10_000;

  public Simulation(long seed) {
    this.seed = seed;
    this.random = new SplittableRandom(seed);
  }

  public long seed() {
    return seed;
  }

  public FakeClock clock() {
    return clock;
  }

  /** The run's only source of randomness. */
  public SplittableRandom random() {
    return random;
  }

  public long nowNanos() {
    return clock.nanoTime();
  }

  public long steps() {
    return steps;
  }

  /** Runs {@code action} after {@code delay} of simulated time. */
  public void schedule(Duration delay, String label, Runnable action) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("cannot schedule in the past: " + label);
    }
    scheduleAt(clock.nanoTime() + delay.toNanos(), label, action);
  }

  /** Runs {@code action} at monotonic time {@code atNanos} (not before now). */
  public void scheduleAt(long atNanos, String label, Runnable action) {
    queue.add(new Event(Math.max(atNanos, clock.nanoTime()), seq++, label, action));
  }

  /** A delay drawn uniformly from {@code [min, max]}, at millisecond resolution. */
  public Duration between(Duration min, Duration max) {
    long span = max.toMillis() - min.toMillis();
    return min.plusMillis(span <= 0 ? 0 : random.nextLong(span + 1));
  }

  public void check(String name, Invariant invariant) {
    checks.add(new Check(name, invariant));
  }

  /** Appends one line to the trace, stamped with simulated time. */
  public void trace(String line) {
    long nanos = clock.nanoTime();
    trace.append(
        String.format("%6d.%03d %s%n", nanos / 1_000_000_000L, nanos / 1_000_000L % 1000, line));
  }

  public String trace() {
    return trace.toString();
  }

  /**
   * Runs the earliest event, then every invariant.
   *
   * @return false when nothing is left to run
   */
  public boolean step() {
    Event e = queue.poll();
    if (e == null) {
      return false;
    }
    sameInstantSteps = e.atNanos == clock.nanoTime() ? sameInstantSteps + 1 : 0;
    clock.advance(Duration.ofNanos(e.atNanos - clock.nanoTime()));
    steps++;
    if (sameInstantSteps > MAX_STEPS_PER_INSTANT) {
      throw violation(
          e, "progress", MAX_STEPS_PER_INSTANT + " events at one instant, the last: " + e.label);
    }
    e.action.run();
    for (Check c : checks) {
      String violation = c.invariant.violation();
      if (violation != null) {
        throw violation(e, c.name, violation);
      }
    }
    return true;
  }

  private Violation violation(Event e, String invariant, String what) {
    trace("VIOLATION " + invariant + ": " + what);
    return new Violation(
        "seed "
            + seed
            + ", step "
            + steps
            + " ("
            + e.label
            + "): invariant '"
            + invariant
            + "' violated: "
            + what
            + System.lineSeparator()
            + trace);
  }

  /** Runs events until simulated time reaches {@code horizon} (from the start) or none is left. */
  public void runFor(Duration horizon) {
    long end = horizon.toNanos();
    while (!queue.isEmpty() && queue.peek().atNanos <= end) {
      step();
    }
    if (clock.nanoTime() < end) {
      clock.advance(Duration.ofNanos(end - clock.nanoTime()));
    }
  }
}
