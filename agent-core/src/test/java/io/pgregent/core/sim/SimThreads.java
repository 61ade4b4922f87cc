package io.pgregent.core.sim;

import io.pgregent.core.time.TaskRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Real threads, run one at a time in simulated time: the agent's own code (its loop, its lease
 * guard) on threads of its own, as in production, yet deterministic. A thread runs only while it
 * holds the baton; it hands it back when it waits through a {@link TaskRunner.Signal} of its
 * process, and its wake-up is an event of the {@link Simulation}, ordered with every other event.
 * So one seed still gives one run.
 *
 * <p>A {@link Process} is one machine's agent: its threads, its monotonic clock (a {@link
 * DriftingClock}; timeouts run on it) and its faults: {@link Process#freeze()} (SIGSTOP: its
 * threads stay where they are, time goes on), {@link Process#kill()} (each thread unwinds from
 * where it waits). Code that blocks anywhere else (a monitor, real time, real IO) would break the
 * determinism: a thread that does not hand the baton back within the real-time limit fails the run
 * with its stack.
 */
public final class SimThreads implements AutoCloseable {

  /** Thrown inside the threads of a killed process, to unwind them. */
  static final class Killed extends Error {
    private static final long serialVersionUID = 1L;

    Killed() {
      super("process killed", null, false, false);
    }
  }

  private final Simulation sim;
  private final long realLimitMillis;
  private final Semaphore back = new Semaphore(0);
  private final ThreadLocal<SimThread> self = new ThreadLocal<>();
  private final List<Process> processes = new ArrayList<>();

  /**
   * @param realLimitMillis how long a thread may run, in real time, before it hands the baton back:
   *     past it, the thread is taken as blocked outside the simulation
   */
  public SimThreads(Simulation sim, long realLimitMillis) {
    this.sim = sim;
    this.realLimitMillis = realLimitMillis;
  }

  public SimThreads(Simulation sim) {
    this(sim, 30_000);
  }

  /** A new process whose timeouts run on {@code clock}. */
  public Process process(String name, DriftingClock clock) {
    Process p = new Process(name, clock);
    processes.add(p);
    return p;
  }

  /** Ends the run: every process is killed, so that no thread outlives it. */
  @Override
  public void close() {
    for (Process p : processes) {
      p.kill();
    }
  }

  /** One machine's agent: its threads, clock and faults. */
  public final class Process implements TaskRunner {
    private final String name;
    private final DriftingClock clock;
    private final List<SimThread> threads = new ArrayList<>();
    private final List<Runnable> dueWhileFrozen = new ArrayList<>();
    private boolean frozen;
    private boolean killed;

    private Process(String name, DriftingClock clock) {
      this.name = name;
      this.clock = clock;
    }

    public String name() {
      return name;
    }

    public DriftingClock clock() {
      return clock;
    }

    @Override
    public Task start(String threadName, Runnable body) {
      if (killed) {
        throw new Killed();
      }
      SimThread t = new SimThread(this, name + "/" + threadName, body);
      threads.add(t);
      sim.schedule(Duration.ZERO, "start " + t.name, () -> resume(t, t.generation));
      return new Task() {
        @Override
        public void join(long timeoutNanos) throws InterruptedException {
          SimThreads.this.join(t, timeoutNanos);
        }

        @Override
        public void interrupt() {
          SimThreads.this.interrupt(t);
        }
      };
    }

    @Override
    public Signal signal() {
      return new SimSignal(this);
    }

    /** SIGSTOP: no thread of the process runs until {@link #thaw()}; time goes on. */
    public void freeze() {
      frozen = true;
    }

    /** SIGCONT: wake-ups that fell due meanwhile run now, in the order they fell due. */
    public void thaw() {
      frozen = false;
      List<Runnable> due = new ArrayList<>(dueWhileFrozen);
      dueWhileFrozen.clear();
      for (Runnable r : due) {
        sim.schedule(Duration.ZERO, "thaw " + name, r);
      }
    }

    /** kill -9: every thread unwinds from where it waits; none runs again. */
    public void kill() {
      killed = true;
      frozen = false;
      dueWhileFrozen.clear();
      for (SimThread t : threads) {
        if (!t.done) {
          t.generation++;
          runUntilItYields(t);
        }
      }
    }

    /** Threads of this process still running or waiting. */
    public long alive() {
      return threads.stream().filter(t -> !t.done).count();
    }

    /** The simulated instant a timeout from now ends at; -1 for none (or one too long). */
    private long simDeadline(long timeoutNanos) {
      long now = clock.nanoTime();
      if (timeoutNanos < 0 || now + timeoutNanos < now) {
        return -1;
      }
      return clock.simNanosAt(now + timeoutNanos);
    }
  }

  private final class SimThread {
    final Process process;
    final String name;
    final Thread thread;
    final Semaphore baton = new Semaphore(0);
    final List<SimThread> joiners = new ArrayList<>();
    long generation;
    boolean done;
    boolean interrupted;
    Throwable failure;

    SimThread(Process process, String name, Runnable body) {
      this.process = process;
      this.name = name;
      this.thread = newThread(this, body);
    }
  }

  private Thread newThread(SimThread t, Runnable body) {
    Thread thread =
        Carrier.thread(
            t.name,
            () -> {
              self.set(t);
              t.baton.acquireUninterruptibly();
              try {
                if (!t.process.killed) {
                  body.run();
                }
              } catch (Killed k) {
                // unwound
              } catch (Throwable e) {
                t.failure = e;
              } finally {
                t.done = true;
                for (SimThread j : t.joiners) {
                  long g = j.generation;
                  sim.schedule(Duration.ZERO, "joined " + t.name, () -> resume(j, g));
                }
                back.release();
              }
            });
    return thread;
  }

  /** Hands the baton to {@code t} (a wake-up falling due) unless the wake-up is stale. */
  private void resume(SimThread t, long generation) {
    if (t.done || t.generation != generation) {
      return;
    }
    if (t.process.frozen) {
      t.process.dueWhileFrozen.add(() -> resume(t, generation));
      return;
    }
    t.generation++;
    runUntilItYields(t);
  }

  /** Waits for the running thread to hand the baton back, at most the real-time limit. */
  private boolean acquireBack() {
    try {
      return back.tryAcquire(realLimitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while a simulated thread ran", e);
    }
  }

  private void runUntilItYields(SimThread t) {
    if (t.thread.getState() == Thread.State.NEW) {
      t.thread.start();
    }
    t.baton.release();
    if (!acquireBack()) {
      AssertionError e =
          new AssertionError(
              "thread "
                  + t.name
                  + " did not hand back within "
                  + realLimitMillis
                  + " ms of real time: it blocks outside the simulation ("
                  + t.thread.getState()
                  + ")");
      e.setStackTrace(t.thread.getStackTrace());
      throw e;
    }
    if (t.failure != null && !(t.failure instanceof Killed)) {
      Throwable f = t.failure;
      t.failure = null;
      throw new AssertionError("thread " + t.name + " failed: " + f, f);
    }
  }

  /**
   * Parks the calling thread until a wake-up of this generation falls due: at {@code atSimNanos}
   * (negative: only when woken) or earlier through {@code wakers}.
   */
  private void park(SimThread me, long atSimNanos) throws InterruptedException {
    if (me.process.killed) {
      throw new Killed();
    }
    if (me.interrupted) {
      me.interrupted = false;
      throw new InterruptedException();
    }
    long generation = me.generation;
    if (atSimNanos >= 0) {
      sim.scheduleAt(atSimNanos, "wake " + me.name, () -> resume(me, generation));
    }
    back.release();
    me.baton.acquireUninterruptibly();
    if (me.process.killed) {
      throw new Killed();
    }
    if (me.interrupted) {
      me.interrupted = false;
      Thread.interrupted();
      throw new InterruptedException();
    }
  }

  /** As Thread.interrupt: a wait under way, or the next one, ends with InterruptedException. */
  private void interrupt(SimThread t) {
    if (t.done) {
      return;
    }
    t.interrupted = true;
    long g = t.generation;
    sim.schedule(Duration.ZERO, "interrupt " + t.name, () -> resume(t, g));
  }

  private SimThread current(String what) {
    SimThread me = self.get();
    if (me == null) {
      throw new IllegalStateException(what + " outside a simulated thread");
    }
    return me;
  }

  private void join(SimThread t, long timeoutNanos) throws InterruptedException {
    SimThread me = current("join");
    if (t.done) {
      return;
    }
    t.joiners.add(me);
    try {
      park(me, me.process.simDeadline(timeoutNanos));
    } finally {
      t.joiners.remove(me);
    }
  }

  private final class SimSignal implements TaskRunner.Signal {
    private final Process process;
    private final List<SimThread> waiters = new ArrayList<>();
    private long count;

    SimSignal(Process process) {
      this.process = process;
    }

    @Override
    public long count() {
      return count;
    }

    @Override
    public void raise() {
      count++;
      for (SimThread w : waiters) {
        long g = w.generation;
        sim.schedule(Duration.ZERO, "signal " + w.name, () -> resume(w, g));
      }
      waiters.clear();
    }

    @Override
    public void await(long seen, long timeoutNanos) throws InterruptedException {
      SimThread me = current("await");
      if (me.process != process) {
        throw new IllegalStateException(me.name + " waits on a signal of " + process.name);
      }
      if (count != seen) {
        return;
      }
      waiters.add(me);
      try {
        park(me, process.simDeadline(timeoutNanos));
      } finally {
        waiters.remove(me);
      }
    }
  }
}
