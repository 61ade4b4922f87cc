package io.pgregent.postgres;

import io.pgregent.core.slots.LocalSlot;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The replication slots of the local server ({@link PostgresPort#slots()}): the members' and
 * permanent slots Regent keeps on a primary and on a cascading replica, and the single statements
 * the HA loop uses to keep slots in step with the cluster (create, drop, advance, copy logical
 * slots from the primary).
 */
public interface ReplicationSlots {

  /**
   * On a primary: creates the physical slot of every other member in {@code members} plus the
   * permanent physical slots, and drops inactive physical slots that are neither (Patroni's slot
   * management). Does nothing on a replica or when {@code use_slots} is off.
   *
   * @return the slot names that should exist
   */
  Set<String> syncReplicationSlots(Set<String> members);

  /**
   * As {@link #syncReplicationSlots(Set)}; the slots of members that stream from another member
   * ({@code cascading}: member name to the WAL position it reports) are not used here, so they are
   * moved on to that position, keeping no WAL those members already have.
   */
  Set<String> syncReplicationSlots(Set<String> members, Map<String, Long> cascading);

  /**
   * The position of each replication slot on this server: a physical slot's {@code restart_lsn}, a
   * logical slot's {@code confirmed_flush_lsn}.
   */
  Map<String, Long> slotPositions();

  /**
   * On a replica: the physical slots of the members that stream from it (tag {@code replicatefrom})
   * exist, other inactive physical slots are dropped. Does nothing on a primary or when {@code
   * use_slots} is off.
   */
  void syncCascadingSlots(Set<String> members);

  /** Every replication slot on this server ({@code pg_replication_slots}). */
  List<LocalSlot> replicationSlots();

  /** Drops a replication slot no consumer streams from; true when it was dropped. */
  boolean dropReplicationSlot(String name);

  /** Creates a physical slot that reserves WAL at once, unless one of that name exists. */
  void createPhysicalSlot(String name);

  /** Creates a logical slot in {@code database} (a primary with {@code wal_level=logical}). */
  void createLogicalSlot(String name, String database, String plugin);

  /** Moves a physical slot on to {@code lsn} (PostgreSQL caps it at what the server has). */
  void advancePhysicalSlot(String name, long lsn);

  /**
   * Moves a logical slot on to {@code lsn}, connected to its database. False when a replica's copy
   * is unusable (the WAL it needs is gone here) and must be copied from the primary again.
   */
  boolean advanceLogicalSlot(String name, String database, long lsn);

  /** How far this standby has replayed WAL (0 on a primary). */
  long replayLsn();

  /**
   * On a replica: copies the logical slots {@code expected} (name to database and plugin) from the
   * primary, restarting this server to install them (PostgreSQL 15 cannot create logical slots on a
   * standby). Returns the slots copied.
   */
  List<String> copyLogicalSlots(LeaderConnection leader, Map<String, List<String>> expected);

  /** The physical replication slots on this server. */
  List<String> physicalSlots();
}
