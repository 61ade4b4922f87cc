package io.pgregent.core.dcs;

import java.time.Duration;
import java.util.Objects;

/**
 * The timings a store client works to, from the dynamic configuration.
 *
 * @param ttl the lifetime of the leader lock and member keys without a refresh
 * @param retryTimeout how long one store operation may retry before the store counts as unreachable
 */
public record DcsTimings(Duration ttl, Duration retryTimeout) {
  public DcsTimings {
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(retryTimeout, "retryTimeout");
    if (ttl.toMillis() < 2000) {
      throw new IllegalArgumentException("ttl must be at least 2 s: " + ttl);
    }
    if (retryTimeout.isNegative() || retryTimeout.isZero()) {
      throw new IllegalArgumentException("retry_timeout must be positive: " + retryTimeout);
    }
  }

  /** Patroni's defaults: ttl 30 s, retry_timeout 10 s. */
  public static DcsTimings defaults() {
    return new DcsTimings(Duration.ofSeconds(30), Duration.ofSeconds(10));
  }
}
