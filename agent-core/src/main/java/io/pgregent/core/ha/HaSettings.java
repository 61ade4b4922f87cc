package io.pgregent.core.ha;

import java.util.Objects;

/**
 * The configuration a decision depends on: the member's own settings and the dynamic configuration
 * in force. Durations in milliseconds.
 *
 * @param member this member's name
 * @param ttlMillis the leader lock's ttl
 * @param loopWaitMillis the pause between cycles
 * @param retryTimeoutMillis the store and PostgreSQL retry deadline
 * @param maximumLagOnFailover bytes a candidate may lag behind the last known leader position
 * @param checkTimeline whether a candidate must be on the cluster's latest timeline
 * @param primaryStartTimeoutMillis how long a crashed primary may take to come back before the lock
 *     is released
 * @param paused maintenance mode: no automatic action
 * @param failsafeMode keep the primary while the store is down if every member agrees
 * @param nofailover this member's {@code nofailover} tag
 * @param failoverPriority this member's {@code failover_priority} tag
 * @param sync synchronous replication
 */
public record HaSettings(
    String member,
    long ttlMillis,
    long loopWaitMillis,
    long retryTimeoutMillis,
    long maximumLagOnFailover,
    boolean checkTimeline,
    long primaryStartTimeoutMillis,
    boolean paused,
    boolean failsafeMode,
    boolean nofailover,
    int failoverPriority,
    SyncSettings sync) {

  public HaSettings {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(sync, "sync");
  }

  /** Settings with asynchronous replication. */
  public HaSettings(
      String member,
      long ttlMillis,
      long loopWaitMillis,
      long retryTimeoutMillis,
      long maximumLagOnFailover,
      boolean checkTimeline,
      long primaryStartTimeoutMillis,
      boolean paused,
      boolean failsafeMode,
      boolean nofailover,
      int failoverPriority) {
    this(
        member,
        ttlMillis,
        loopWaitMillis,
        retryTimeoutMillis,
        maximumLagOnFailover,
        checkTimeline,
        primaryStartTimeoutMillis,
        paused,
        failsafeMode,
        nofailover,
        failoverPriority,
        SyncSettings.OFF);
  }

  /** Whether this member may ever become leader. */
  public boolean mayPromote() {
    return !nofailover && failoverPriority > 0;
  }
}
