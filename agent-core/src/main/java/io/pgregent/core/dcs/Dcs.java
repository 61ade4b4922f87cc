package io.pgregent.core.dcs;

import java.time.Duration;

/**
 * A distributed configuration store holding one cluster, seen by one member. Implementations map
 * Patroni's key layout onto their store exactly, so Patroni's tools and agents see the same keys.
 *
 * <p>Unreachability is an exception ({@link DcsUnreachableException}), raised within the configured
 * retry_timeout; absence is an empty value, never an exception.
 */
public interface Dcs extends ClusterReader, LeaderLock, ClusterStore, ChangeSignal, AutoCloseable {

  /**
   * Applies new timings from the dynamic configuration. A new ttl takes effect at the next {@link
   * #renewSession()}.
   */
  void setTimings(DcsTimings timings);

  DcsTimings timings();

  /**
   * How long the store keeps this member's lease (leader lock, member key) after its last renewal
   * when nothing renews it: the lease deadline counts from this, not from the configured ttl. By
   * default the ttl in force; a store whose server may cut it (ZooKeeper negotiates the session
   * timeout) returns the value actually in force.
   */
  default Duration leaseDuration() {
    return timings().ttl();
  }

  /** Closes the connection; keys bound to our lease expire on their own. */
  @Override
  void close();
}
