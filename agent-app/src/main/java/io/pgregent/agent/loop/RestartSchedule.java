package io.pgregent.agent.loop;

import java.util.Optional;
import java.util.function.Consumer;

/** The one scheduled restart, if any, and running it when it is due. */
final class RestartSchedule {

  private final Runnable wake;
  private volatile ScheduledRestart scheduled;
  private volatile Consumer<ScheduledRestart> runner;

  /**
   * @param wake makes the loop look again (a new schedule may be due sooner than loop_wait)
   */
  RestartSchedule(Runnable wake) {
    this.wake = wake;
  }

  Optional<ScheduledRestart> scheduled() {
    return Optional.ofNullable(scheduled);
  }

  /** Schedules a restart; false when one is scheduled already. */
  synchronized boolean schedule(ScheduledRestart restart) {
    if (scheduled != null) {
      return false;
    }
    scheduled = restart;
    wake.run();
    return true;
  }

  /** Cancels the scheduled restart; false when none was scheduled. */
  synchronized boolean cancel() {
    boolean had = scheduled != null;
    scheduled = null;
    return had;
  }

  /** Set by the REST API: runs a due scheduled restart whose conditions hold. */
  void onRun(Consumer<ScheduledRestart> runner) {
    this.runner = runner;
  }

  /** Runs the scheduled restart if it is due at {@code nowMillis} (wall clock), not in pause. */
  void runDue(boolean paused, long nowMillis) {
    ScheduledRestart r = scheduled;
    if (r == null || paused || nowMillis < r.at().toInstant().toEpochMilli()) {
      return;
    }
    synchronized (this) {
      if (scheduled != r) {
        return;
      }
      scheduled = null;
    }
    Consumer<ScheduledRestart> run = runner;
    if (run != null) {
      run.accept(r);
    }
  }
}
