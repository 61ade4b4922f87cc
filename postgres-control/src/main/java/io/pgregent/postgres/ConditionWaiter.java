package io.pgregent.postgres;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits, with a bound, for a condition checked periodically on a scheduler that the owner of the
 * controller supplies. No sleeping: the caller blocks on a future that the check completes.
 */
public final class ConditionWaiter {

  private static final Logger log = LoggerFactory.getLogger(ConditionWaiter.class);

  private final ScheduledExecutorService scheduler;
  private final Duration interval;

  public ConditionWaiter(ScheduledExecutorService scheduler, Duration interval) {
    this.scheduler = scheduler;
    this.interval = interval;
  }

  /**
   * Whether {@code condition} became true within {@code timeout}. A check that throws counts as
   * false.
   */
  public boolean await(BooleanSupplier condition, Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    ScheduledFuture<?> checks =
        scheduler.scheduleWithFixedDelay(
            () -> {
              try {
                if (!done.isDone() && condition.getAsBoolean()) {
                  done.complete(null);
                }
              } catch (RuntimeException ex) {
                log.debug("condition check failed: {}", ex.getMessage());
              }
            },
            0,
            interval.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      done.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException ex) {
      return false;
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException ex) {
      return false;
    } finally {
      checks.cancel(false);
    }
  }
}
