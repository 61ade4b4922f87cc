package io.pgregent.core.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The {@code config} key: the cluster-wide dynamic configuration. The document is kept whole; the
 * accessors apply Patroni's defaults.
 *
 * @param data the document as stored
 * @param version the store's version, the compare-and-set token for edits
 */
public record ClusterConfig(ObjectNode data, long version) {

  public static final int DEFAULT_TTL = 30;
  public static final int DEFAULT_LOOP_WAIT = 10;
  public static final int DEFAULT_RETRY_TIMEOUT = 10;
  public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1_048_576L;

  public ClusterConfig {
    Objects.requireNonNull(data, "data");
  }

  public int ttl() {
    return intValue("ttl", DEFAULT_TTL);
  }

  public int loopWait() {
    return intValue("loop_wait", DEFAULT_LOOP_WAIT);
  }

  public int retryTimeout() {
    return intValue("retry_timeout", DEFAULT_RETRY_TIMEOUT);
  }

  public long maximumLagOnFailover() {
    JsonNode node = data.get("maximum_lag_on_failover");
    return node != null && node.canConvertToLong()
        ? node.asLong()
        : DEFAULT_MAXIMUM_LAG_ON_FAILOVER;
  }

  private int intValue(String key, int fallback) {
    JsonNode node = data.get(key);
    return node != null && node.canConvertToInt() ? node.asInt() : fallback;
  }
}
