package io.pgregent.agent.loop;

import io.pgregent.core.time.MonitorSignal;
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
    return new Task() {
      @Override
      public void join(long timeoutNanos) throws InterruptedException {
        TimeUnit.NANOSECONDS.timedJoin(t, Math.max(1, timeoutNanos));
      }

      @Override
      public void interrupt() {
        t.interrupt();
      }
    };
  }

  @Override
  public Signal signal() {
    return new MonitorSignal();
  }
}
