package io.pgregent.agent.loop;

import io.pgregent.core.time.TaskRunner;
import java.util.concurrent.TimeUnit;

/** The machine's threads, waiting on monitors in real time ({@link System#nanoTime()}). */
public enum MachineTasks implements TaskRunner {
  INSTANCE;

  @Override
  public Task start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return timeoutNanos -> TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, timeoutNanos));
  }

  @Override
  public Signal signal() {
    return new MonitorSignal();
  }

  private static final class MonitorSignal implements Signal {
    private long count;

    @Override
    public synchronized long count() {
      return count;
    }

    @Override
    public synchronized void raise() {
      count++;
      notifyAll();
    }

    @Override
    public synchronized void await(long seen, long timeoutNanos) throws InterruptedException {
      long end = System.nanoTime() + timeoutNanos;
      while (count == seen) {
        if (timeoutNanos < 0) {
          wait();
          continue;
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }
}
