package io.pgregent.agent.loop;

import io.pgregent.agent.config.FenceSettings;
import io.pgregent.agent.config.GuardMode;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.fence.FenceProcess;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The fence: a process beside PostgreSQL that stops it when keep-alives stop. */
final class FenceKeeper {

  private static final Logger log = LoggerFactory.getLogger(FenceKeeper.class);
  private static final Duration FENCE_RETRY = Duration.ofMinutes(1);

  private final FenceSettings settings;
  private final PostgresPort postgres;
  private final Clock clock;
  private final Object lock = new Object();
  private FenceProcess fence;
  private long failedAtNanos = Long.MIN_VALUE;

  FenceKeeper(FenceSettings settings, PostgresPort postgres, Clock clock) {
    this.settings = settings;
    this.postgres = postgres;
    this.clock = clock;
  }

  GuardMode mode() {
    return settings.mode();
  }

  /** The running fence, started (or adopted) if there is none; null when it cannot run. */
  FenceProcess fence() {
    if (mode() == GuardMode.OFF) {
      return null;
    }
    synchronized (lock) {
      if (fence != null && fence.isAlive()) {
        return fence;
      }
      // A fence that cannot start is tried again once a minute, not in every cycle.
      if (failedAtNanos != Long.MIN_VALUE
          && clock.nanoTime() - failedAtNanos < FENCE_RETRY.toNanos()) {
        return null;
      }
      try {
        fence = FenceProcess.startOrAdopt(settings.dir(), postgres.dataDir(), postgres.osUser());
        log.info("fence running (pid {}) in {}", fence.pid(), settings.dir());
      } catch (RuntimeException e) {
        fence = null;
        failedAtNanos = clock.nanoTime();
        if (mode() == GuardMode.REQUIRED) {
          log.error("the fence cannot run, and regent.fence.mode is required: {}", e.getMessage());
        } else {
          log.warn("running without a fence: {}", e.getMessage());
        }
      }
      return fence;
    }
  }

  void keepAlive(Duration remaining) {
    FenceProcess f = fence();
    if (f == null) {
      return;
    }
    try {
      f.keepAlive(remaining);
    } catch (RuntimeException e) {
      log.warn("fence keep-alive failed: {}", e.getMessage());
      FenceProcess again = fence();
      if (again != null && again != f) {
        again.keepAlive(remaining);
      }
    }
  }

  void disarm() {
    synchronized (lock) {
      if (fence != null && fence.isAlive()) {
        try {
          fence.disarm();
        } catch (RuntimeException e) {
          log.warn("could not disarm the fence: {}", e.getMessage());
        }
      }
    }
  }

  /** On a clean stop: the fence exits (PostgreSQL is stopped, or left to the operator in pause). */
  void stop() {
    synchronized (lock) {
      if (fence != null) {
        try {
          fence.stop();
        } catch (RuntimeException e) {
          log.warn("could not stop the fence: {}", e.getMessage());
        }
        fence = null;
      }
    }
  }
}
