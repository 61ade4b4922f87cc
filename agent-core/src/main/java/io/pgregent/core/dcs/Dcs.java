package io.pgregent.core.dcs;

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

  /** Closes the connection; keys bound to our lease expire on their own. */
  @Override
  void close();
}
