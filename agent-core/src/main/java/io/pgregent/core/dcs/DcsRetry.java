package io.pgregent.core.dcs;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries one store operation until retry_timeout has passed, then raises {@link
 * DcsUnreachableException}. Each failed attempt is logged in one line naming the endpoint and the
 * cause. Every attempt is given only the time left, so the whole call never outlasts the deadline
 * by more than one backoff step's rounding.
 */
public final class DcsRetry {

  /** One attempt, which must give up after {@code timeout}. */
  @FunctionalInterface
  public interface Attempt<T> {
    T call(Duration timeout) throws Exception;
  }

  /** How the retry waits between attempts; tests may substitute it. */
  @FunctionalInterface
  public interface Backoff {
    void pause(long millis) throws InterruptedException;
  }

  private static final Logger log = LoggerFactory.getLogger(DcsRetry.class);
  private static final long FIRST_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 1000;

  private final String store;
  private final Supplier<String> endpoint;
  private final Predicate<Throwable> retryable;
  private final LongSupplier nanoClock;
  private final Backoff backoff;
  private volatile Duration retryTimeout;
  private volatile int endpoints = 1;

  /**
   * @param store the store's name for log lines, e.g. {@code etcd3}
   * @param endpoint the endpoint(s) currently in use, for log lines and the exception
   * @param retryTimeout the deadline for one operation
   * @param retryable which failures are worth another attempt; others surface at once
   */
  public DcsRetry(
      String store,
      Supplier<String> endpoint,
      Duration retryTimeout,
      Predicate<Throwable> retryable) {
    this(store, endpoint, retryTimeout, retryable, System::nanoTime, TimeUnit.MILLISECONDS::sleep);
  }

  public DcsRetry(
      String store,
      Supplier<String> endpoint,
      Duration retryTimeout,
      Predicate<Throwable> retryable,
      LongSupplier nanoClock,
      Backoff backoff) {
    this.store = Objects.requireNonNull(store);
    this.endpoint = Objects.requireNonNull(endpoint);
    this.retryTimeout = Objects.requireNonNull(retryTimeout);
    this.retryable = Objects.requireNonNull(retryable);
    this.nanoClock = Objects.requireNonNull(nanoClock);
    this.backoff = Objects.requireNonNull(backoff);
  }

  public void setRetryTimeout(Duration retryTimeout) {
    this.retryTimeout = Objects.requireNonNull(retryTimeout);
  }

  public Duration retryTimeout() {
    return retryTimeout;
  }

  /**
   * Spreads retry_timeout over {@code count} endpoints: each attempt gets at most retry_timeout /
   * count, so that a request hanging at one endpoint (a store member cut off from its quorum
   * answers nothing) leaves the time to try the others within the deadline.
   */
  public void spreadOver(int count) {
    this.endpoints = Math.max(1, count);
  }

  /**
   * Runs the operation until it succeeds, fails for a reason that is not retryable, or the deadline
   * passes.
   *
   * @param operation a short name for log lines, e.g. {@code read}
   * @throws DcsUnreachableException when the deadline passes
   * @throws DcsException when a failure is not retryable
   */
  public <T> T call(String operation, Attempt<T> attempt) {
    long deadline = nanoClock.getAsLong() + retryTimeout.toNanos();
    long perAttempt = retryTimeout.toNanos() / endpoints;
    long pause = FIRST_BACKOFF_MILLIS;
    int attempts = 0;
    while (true) {
      long remaining = deadline - nanoClock.getAsLong();
      Throwable failure;
      try {
        attempts++;
        return attempt.call(Duration.ofNanos(Math.max(Math.min(remaining, perAttempt), 1)));
      } catch (DcsException e) {
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DcsUnreachableException(endpoint.get(), operation + " interrupted", e);
      } catch (Exception e) {
        failure = unwrap(e);
      }
      if (!retryable.test(failure)) {
        throw new DcsException(
            store + " " + operation + " failed at " + endpoint.get() + ": " + describe(failure),
            failure);
      }
      remaining = deadline - nanoClock.getAsLong();
      if (remaining <= 0) {
        log.warn(
            "{} {} failed at {}: {}; giving up after {} attempt(s) in {} ms",
            store,
            operation,
            endpoint.get(),
            describe(failure),
            attempts,
            retryTimeout.toMillis());
        throw new DcsUnreachableException(
            endpoint.get(),
            store
                + " unreachable: "
                + operation
                + " failed for "
                + retryTimeout.toMillis()
                + " ms: "
                + describe(failure),
            failure);
      }
      long wait = Math.min(pause, TimeUnit.NANOSECONDS.toMillis(remaining));
      log.warn(
          "{} {} failed at {}: {}; retrying in {} ms",
          store,
          operation,
          endpoint.get(),
          describe(failure),
          wait);
      try {
        backoff.pause(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DcsUnreachableException(endpoint.get(), operation + " interrupted", e);
      }
      pause = Math.min(pause * 2, MAX_BACKOFF_MILLIS);
    }
  }

  /** Strips the wrappers futures add, to log the cause that matters. */
  public static Throwable unwrap(Throwable t) {
    Throwable cur = t;
    while ((cur instanceof java.util.concurrent.ExecutionException
            || cur instanceof java.util.concurrent.CompletionException)
        && cur.getCause() != null) {
      cur = cur.getCause();
    }
    return cur;
  }

  /** One line: the exception's class and message, and its root cause's if different. */
  public static String describe(Throwable t) {
    if (t instanceof java.util.concurrent.TimeoutException && t.getMessage() == null) {
      return "no answer in time (TimeoutException)";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String head =
        t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    if (root != t) {
      head +=
          " (caused by "
              + root.getClass().getSimpleName()
              + (root.getMessage() == null ? "" : ": " + root.getMessage())
              + ")";
    }
    return head.replace('\n', ' ');
  }
}
