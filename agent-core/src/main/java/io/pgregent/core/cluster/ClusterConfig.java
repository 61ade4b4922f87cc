package io.pgregent.core.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.Timings;
import java.util.Objects;

/**
 * The {@code config} key: the cluster-wide dynamic configuration, read once.
 *
 * @param settings the configuration, the document kept whole in {@link DynamicConfig#data()}
 * @param version the store's version, the compare-and-set token for edits
 */
public record ClusterConfig(DynamicConfig settings, long version) {

  public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER =
      DynamicConfig.DEFAULT_MAXIMUM_LAG_ON_FAILOVER;

  public ClusterConfig {
    Objects.requireNonNull(settings, "settings");
  }

  /** A document read leniently: a malformed value takes its default. */
  public ClusterConfig(ObjectNode data, long version) {
    this(DynamicConfig.parse(Objects.requireNonNull(data, "data")).config(), version);
  }

  /** The document as stored. */
  public ObjectNode data() {
    return settings.data();
  }

  /** ttl, loop_wait and retry_timeout in force: the stored values, adjusted to fit together. */
  public Timings timings() {
    return settings.timings();
  }

  public int ttl() {
    return settings.ttl();
  }

  /** The loop_wait in force, which may be lower than the stored one (see {@link Timings}). */
  public int loopWait() {
    return settings.loopWait();
  }

  /** The retry_timeout in force, which may be lower than the stored one (see {@link Timings}). */
  public int retryTimeout() {
    return settings.retryTimeout();
  }

  public long maximumLagOnFailover() {
    return settings.maximumLagOnFailover();
  }
}
