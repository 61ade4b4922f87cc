package io.pgregent.agent.loop;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.function.Consumer;

/** The one scheduled restart, if any, and running it when it is due. */
public final class RestartSchedule {

  private final Runnable wake;
  private volatile ScheduledRestart scheduled;
  private volatile Consumer<ScheduledRestart> runner;

  /**
   * @param wake makes the loop look again (a new schedule may be due sooner than loop_wait)
   */
  RestartSchedule(Runnable wake) {
    this.wake = wake;
  }

  public Optional<ScheduledRestart> scheduled() {
    return Optional.ofNullable(scheduled);
  }

  /** Schedules a restart; false when one is scheduled already. */
  public synchronized boolean schedule(ScheduledRestart restart) {
    if (scheduled != null) {
      return false;
    }
    scheduled = restart;
    wake.run();
    return true;
  }

  /** Cancels the scheduled restart; false when none was scheduled. */
  public synchronized boolean cancel() {
    boolean had = scheduled != null;
    scheduled = null;
    return had;
  }

  /** Set by the REST API: runs a due scheduled restart whose conditions hold. */
  public void onRun(Consumer<ScheduledRestart> runner) {
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

  /**
   * How long the loop may wait for its next cycle: {@code loopWait}, or less when this restart or a
   * switchover the leader starts ({@code switchoverAt}, null if none) is due sooner.
   */
  Duration nextWait(Duration loopWait, long nowMillis, OffsetDateTime switchoverAt) {
    long wait = loopWait.toMillis();
    ScheduledRestart r = scheduled;
    if (r != null) {
      wait = Math.min(wait, r.at().toInstant().toEpochMilli() - nowMillis);
    }
    if (switchoverAt != null) {
      wait = Math.min(wait, switchoverAt.toInstant().toEpochMilli() - nowMillis);
    }
    return Duration.ofMillis(Math.max(0, wait));
  }
}
