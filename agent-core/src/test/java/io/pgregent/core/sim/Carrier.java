package io.pgregent.core.sim;

import java.lang.reflect.Method;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The threads a simulation runs on. On a JVM with virtual threads (21 and later) every thread of a
 * run, the scheduler's included, is a virtual thread on one carrier: a turn then costs a
 * continuation switch instead of an operating-system wake-up, which makes the agent's own loop run
 * several times faster. On Java 17 they are platform threads. Either way one thread runs at a time,
 * so a seed gives the same run.
 */
public final class Carrier {

  private static final Method OF_VIRTUAL;
  private static final Method UNSTARTED;

  static {
    Method of = null;
    Method unstarted = null;
    try {
      // One carrier: the threads of a run take turns, they never run in parallel.
      if (System.getProperty("jdk.virtualThreadScheduler.parallelism") == null) {
        System.setProperty("jdk.virtualThreadScheduler.parallelism", "1");
      }
      of = Thread.class.getMethod("ofVirtual");
      unstarted = Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class);
    } catch (ReflectiveOperationException e) {
      of = null;
    }
    OF_VIRTUAL = of;
    UNSTARTED = unstarted;
  }

  private Carrier() {}

  /** Whether runs use virtual threads. */
  public static boolean virtual() {
    return OF_VIRTUAL != null;
  }

  /** A new, unstarted thread of a run. */
  static Thread thread(String name, Runnable body) {
    if (OF_VIRTUAL == null) {
      Thread t = new Thread(body, name);
      t.setDaemon(true);
      return t;
    }
    try {
      Thread t = (Thread) UNSTARTED.invoke(OF_VIRTUAL.invoke(null), body);
      t.setName(name);
      return t;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot start a virtual thread", e);
    }
  }

  /**
   * Runs {@code run} on a thread of the carrier (the calling thread on Java 17) and returns what it
   * returns: the scheduler of a run must be one of its threads to take turns without a wake-up.
   */
  public static <T> T call(Callable<T> run) {
    if (OF_VIRTUAL == null) {
      try {
        return run.call();
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t =
        thread(
            "simulation",
            () -> {
              try {
                result.set(run.call());
              } catch (Throwable e) {
                failure.set(e);
              }
            });
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    Throwable f = failure.get();
    if (f instanceof RuntimeException r) {
      throw r;
    }
    if (f instanceof Error err) {
      throw err;
    }
    if (f != null) {
      throw new IllegalStateException(f);
    }
    return result.get();
  }
}
