package io.pgregent.core.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.Timings;
import java.util.Objects;

/**
 * The {@code config} key: the cluster-wide dynamic configuration. The document is kept whole; the
 * accessors apply Patroni's defaults.
 *
 * @param data the document as stored
 * @param version the store's version, the compare-and-set token for edits
 */
public record ClusterConfig(ObjectNode data, long version) {

  public static final int DEFAULT_TTL = Timings.DEFAULT_TTL;
  public static final int DEFAULT_LOOP_WAIT = Timings.DEFAULT_LOOP_WAIT;
  public static final int DEFAULT_RETRY_TIMEOUT = Timings.DEFAULT_RETRY_TIMEOUT;
  public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1_048_576L;

  public ClusterConfig {
    Objects.requireNonNull(data, "data");
  }

  /** ttl, loop_wait and retry_timeout in force: the stored values, adjusted to fit together. */
  public Timings timings() {
    return Timings.of(data);
  }

  public int ttl() {
    return timings().ttl();
  }

  /** The loop_wait in force, which may be lower than the stored one (see {@link Timings}). */
  public int loopWait() {
    return timings().loopWait();
  }

  /** The retry_timeout in force, which may be lower than the stored one (see {@link Timings}). */
  public int retryTimeout() {
    return timings().retryTimeout();
  }

  public long maximumLagOnFailover() {
    JsonNode node = data.get("maximum_lag_on_failover");
    return node != null && node.canConvertToLong()
        ? node.asLong()
        : DEFAULT_MAXIMUM_LAG_ON_FAILOVER;
  }
}
