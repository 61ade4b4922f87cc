package io.pgregent.core.ha;

import io.pgregent.core.cluster.SyncState;
import java.util.Optional;

/** The one thing a decision asks the executor to do next. */
public sealed interface Action
    permits Action.None,
        Action.RaceInitialize,
        Action.Bootstrap,
        Action.CloneFromLeader,
        Action.CloneWithoutLeader,
        Action.StartPostgres,
        Action.RefreshLock,
        Action.AcquireLock,
        Action.Promote,
        Action.Demote,
        Action.FollowLeader,
        Action.ReleaseLock,
        Action.QueryPeers,
        Action.QueryFailsafe,
        Action.ReadView,
        Action.RepairHistory,
        Action.Halt,
        Action.WriteSyncState,
        Action.DeleteSyncState,
        Action.SetSyncStandbyNames,
        Action.StepDown,
        Action.ClearFailover,
        Action.Rejoin,
        Action.BootstrapStandbyLeader,
        Action.FollowRemote,
        Action.DemoteToStandbyLeader {

  /** Nothing to do until the next cycle. */
  record None() implements Action {}

  /** Create {@code initialize} if absent, to win the right to bootstrap. */
  record RaceInitialize() implements Action {}

  /** Run initdb (or the bootstrap method), start as primary, take the lock, seed the store. */
  record Bootstrap() implements Action {}

  /**
   * Create a replica (pg_basebackup or the configured methods) from {@code source}: the leader, or
   * a running member tagged {@code clonefrom}; it starts streaming from {@code upstream} (the
   * leader, or the member its {@code replicatefrom} tag names), not from the copy's source.
   */
  record CloneFromLeader(String source, String upstream) implements Action {}

  /**
   * Create a replica while the cluster has no leader, with the {@code no_leader} replica methods (a
   * restore from backup); it starts as a standby without upstream.
   */
  record CloneWithoutLeader() implements Action {}

  /**
   * Start PostgreSQL.
   *
   * @param asReplica start as a standby (of {@code leader} when known)
   * @param leader the member to stream from, or null
   */
  record StartPostgres(boolean asReplica, String leader) implements Action {}

  /** Renew our lease and the leader lock. */
  record RefreshLock() implements Action {}

  /** Take the free leader lock (create-if-absent). */
  record AcquireLock() implements Action {}

  /**
   * Promote the local standby.
   *
   * @param reserveThrough timeline numbers up to this one are taken in the cluster: the new
   *     timeline is numbered past them (0: none past ours)
   */
  record Promote(long reserveThrough) implements Action {
    public Promote() {
      this(0);
    }
  }

  /**
   * Stop being primary, the way {@code mode} says.
   *
   * @param rejoin the leader to join at once (rewound onto it as needed), or null: stay stopped as
   *     a standby with no upstream (or, offline, read-only), the data kept as it is
   */
  record Demote(DemoteMode mode, String rejoin) implements Action {
    public Demote(DemoteMode mode) {
      this(mode, null);
    }
  }

  /** Stream from {@code leader}: reconfigure, rewind or re-clone as needed, restart. */
  record FollowLeader(String leader) implements Action {}

  /**
   * Delete the leader lock we hold.
   *
   * @param startFailed our primary failed to start: callbacks hear it was demoted
   */
  record ReleaseLock(boolean startFailed) implements Action {
    public ReleaseLock() {
      this(false);
    }
  }

  /**
   * Ask other members' REST APIs for their status ({@code GET /patroni}), for the leader race or a
   * switchover.
   *
   * @param members member name to {@code api_url}
   */
  record QueryPeers(java.util.Map<String, String> members) implements Action {
    public QueryPeers {
      members = java.util.Map.copyOf(members);
    }
  }

  /** With the store down in failsafe mode: ask every member to accept us as primary. */
  record QueryFailsafe() implements Action {}

  /**
   * Read the cluster from the store again: the view this cycle started with may be older than the
   * lock's lapse (a stalled loop), and a newer promotion must not be undone.
   */
  record ReadView() implements Action {}

  /**
   * The leader's {@code history} key lacks the switch to its current timeline (a promotion whose
   * write failed, or a primary promoted by hand): record the switches from PostgreSQL's own
   * timeline history, keeping the timestamps and leader names the key already has.
   */
  record RepairHistory() implements Action {}

  /** Stop the agent: continuing could harm the data (e.g. a foreign data directory). */
  record Halt() implements Action {}

  /**
   * Compare-and-set the {@code sync} key.
   *
   * @param state the value to write; its version is the version expected in the store (0: create)
   */
  record WriteSyncState(SyncState state) implements Action {}

  /** Delete the {@code sync} key if it still has {@code expectedVersion}. */
  record DeleteSyncState(long expectedVersion) implements Action {}

  /**
   * Put {@code synchronous_standby_names} in force (reload, then wait until the server applies it).
   *
   * @param value the value, or empty to hand the parameter back to the configuration
   */
  record SetSyncStandbyNames(Optional<String> value) implements Action {}

  /**
   * Hand the leadership over for a requested switchover: checkpoint, stop cleanly once one of
   * {@code candidates} streams from us (so it receives the shutdown checkpoint and the old primary
   * can follow it without a rewind), record the final position, release the lock.
   *
   * @param candidates the healthy members the request allows, by name
   */
  record StepDown(java.util.List<String> candidates) implements Action {
    public StepDown {
      candidates = java.util.List.copyOf(candidates);
    }
  }

  /** Empty the store's {@code failover} key (compare-and-set on the version we read). */
  record ClearFailover() implements Action {}

  /**
   * A running standby whose WAL went past the point where {@code leader}'s timeline forked off:
   * stop it and rejoin through pg_rewind (or a re-clone when configured), as a stopped former
   * primary would.
   */
  record Rejoin(String leader) implements Action {}

  /**
   * Create the first member of a standby cluster: clone the remote primary of {@code
   * standby_cluster} (its {@code create_replica_methods}, else basebackup), start following it,
   * take the lock and seed the store, as a bootstrap would.
   */
  record BootstrapStandbyLeader() implements Action {}

  /**
   * As the standby leader, follow the remote primary of {@code standby_cluster} as configured now
   * (streaming from its hosts, restoring with its restore_command); start PostgreSQL if it is
   * stopped. Never promotes.
   */
  record FollowRemote() implements Action {}

  /**
   * The cluster became a standby cluster while we run its primary: stop cleanly (archiving the
   * shutdown checkpoint's WAL where archiving is configured), keep the lock, rewind if the remote
   * primary's timeline forked off ours, and come back as the standby leader following it.
   */
  record DemoteToStandbyLeader() implements Action {}

  /** How a primary steps down. */
  enum DemoteMode {
    /** Another member holds the lock: stop at once, then join it once it runs as primary. */
    IMMEDIATE_NOLOCK,
    /** The store is unreachable: stop at once and wait, read-only, for it to return. */
    OFFLINE
  }
}
