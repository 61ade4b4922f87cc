package io.pgregent.core.ha;

import java.util.Objects;
import java.util.function.Consumer;

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
 * @param nofailover this member may never become leader: its {@code nofailover} tag, or without one
 *     a {@code failover_priority} of 0 or less (see {@code PriorityTags})
 * @param failoverPriority this member's rank at equal WAL position (0 with {@code nofailover})
 * @param sync synchronous replication
 * @param replicatefrom this member's {@code replicatefrom} tag, or null
 * @param nostream this member's {@code nostream} tag: it recovers from the archive only
 * @param cloneWithoutLeader a {@code create_replica_methods} entry marked {@code no_leader} can
 *     create this member's data directory while the cluster has no leader (a restore from backup)
 * @param standbyCluster the {@code standby_cluster} in force, or null when this is not a standby
 *     cluster: its lock holder follows that remote primary and never promotes
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
    SyncSettings sync,
    String replicatefrom,
    boolean nostream,
    boolean cloneWithoutLeader,
    io.pgregent.core.config.StandbyCluster standbyCluster) {

  public HaSettings {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(sync, "sync");
  }

  /** These settings with another synchronous replication mode. */
  public HaSettings withSync(SyncSettings value) {
    return edit(b -> b.sync = value);
  }

  /** These settings in or out of maintenance mode. */
  public HaSettings withPaused(boolean value) {
    return edit(b -> b.paused = value);
  }

  /** These settings with the member's replication tags. */
  public HaSettings withReplicationTags(String replicatefrom, boolean nostream) {
    return edit(
        b -> {
          b.replicatefrom = replicatefrom;
          b.nostream = nostream;
        });
  }

  /** The same, in a standby cluster following {@code value} (null: not a standby cluster). */
  public HaSettings withStandbyCluster(io.pgregent.core.config.StandbyCluster value) {
    return edit(b -> b.standbyCluster = value);
  }

  /** Whether this is a standby cluster: its leader is a standby leader. */
  public boolean inStandbyCluster() {
    return standbyCluster != null;
  }

  /** These settings with {@link #cloneWithoutLeader}. */
  public HaSettings withCloneWithoutLeader(boolean value) {
    return edit(b -> b.cloneWithoutLeader = value);
  }

  /** How long one {@code POST /failsafe} call may take: its timeout and a grace to collect it. */
  public static final long FAILSAFE_CALL_MILLIS = 2_200;

  /**
   * How long a replica takes a primary's {@code POST /failsafe} as proof that it is alive, keeping
   * out of the leader race. A primary cut off from the store calls once per cycle: a cycle waits up
   * to loop_wait, spends up to retry_timeout on the failing store read and up to retry_timeout on
   * PostgreSQL, then calls every member in parallel. Between two calls reaching a replica lie at
   * most loop_wait + 2 × retry_timeout plus two calls' durations (the first may arrive at once, the
   * next just before its timeout). At Patroni's defaults ttl covers that; at small ttl (5 s,
   * loop_wait 1, retry_timeout 2) it would not, and a replica would race between two heartbeats of
   * a primary that still runs. Longer only delays a failover after the primary really stopped.
   */
  public long failsafeHeartbeatValidityMillis() {
    return Math.max(ttlMillis, loopWaitMillis + 2 * retryTimeoutMillis + 2 * FAILSAFE_CALL_MILLIS);
  }

  /** Whether this member may ever become leader. */
  public boolean mayPromote() {
    return !nofailover;
  }

  private HaSettings edit(Consumer<Builder> change) {
    Builder b = new Builder(this);
    change.accept(b);
    return b.build();
  }

  /** A copy to change a few settings of: the record's components, each listed once. */
  private static final class Builder {
    String member;
    long ttlMillis;
    long loopWaitMillis;
    long retryTimeoutMillis;
    long maximumLagOnFailover;
    boolean checkTimeline;
    long primaryStartTimeoutMillis;
    boolean paused;
    boolean failsafeMode;
    boolean nofailover;
    int failoverPriority;
    SyncSettings sync;
    String replicatefrom;
    boolean nostream;
    boolean cloneWithoutLeader;
    io.pgregent.core.config.StandbyCluster standbyCluster;

    Builder(HaSettings s) {
      member = s.member;
      ttlMillis = s.ttlMillis;
      loopWaitMillis = s.loopWaitMillis;
      retryTimeoutMillis = s.retryTimeoutMillis;
      maximumLagOnFailover = s.maximumLagOnFailover;
      checkTimeline = s.checkTimeline;
      primaryStartTimeoutMillis = s.primaryStartTimeoutMillis;
      paused = s.paused;
      failsafeMode = s.failsafeMode;
      nofailover = s.nofailover;
      failoverPriority = s.failoverPriority;
      sync = s.sync;
      replicatefrom = s.replicatefrom;
      nostream = s.nostream;
      cloneWithoutLeader = s.cloneWithoutLeader;
      standbyCluster = s.standbyCluster;
    }

    HaSettings build() {
      return new HaSettings(
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
          sync,
          replicatefrom,
          nostream,
          cloneWithoutLeader,
          standbyCluster);
    }
  }
}
