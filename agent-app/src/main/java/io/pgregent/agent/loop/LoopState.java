package io.pgregent.agent.loop;

import io.pgregent.core.ha.AgentMemory;

/** The HA loop's mutable state. Owned by the loop thread; the executor updates it. */
final class LoopState {
  AgentMemory memory = AgentMemory.initial();

  /** The member we configured PostgreSQL to stream from, or null. */
  String following;

  /** We hold the leader lock as of our last refresh or acquisition. */
  volatile boolean holdsLock;

  /** Our lease was renewed in this cycle already. */
  boolean sessionRenewed;

  /** When our lease was last renewed ({@link System#nanoTime()}), or {@link Long#MIN_VALUE}. */
  long sessionRenewedAtNanos = Long.MIN_VALUE;

  /** Records a renewal of our lease. */
  void renewed(long nanos) {
    sessionRenewed = true;
    sessionRenewedAtNanos = nanos;
  }

  /**
   * When the last renewal that vouches for the leader lock was sent (lock refreshed or taken, or
   * failsafe accepted by every member), not yet handed to the lease guard; {@link Long#MIN_VALUE}
   * when none.
   */
  long leaseVouchedAtNanos = Long.MIN_VALUE;

  void leaseVouched(long sentAtNanos) {
    leaseVouchedAtNanos = sentAtNanos;
  }

  /** We stopped being primary: the next rejoin checks whether pg_rewind is needed. */
  boolean mayHaveDiverged;

  /** The WAL positions members reported in their answers to the failsafe primary. */
  final java.util.Map<String, Long> failsafeLsns = new java.util.concurrent.ConcurrentHashMap<>();

  /** The slot positions a failsafe primary sends with its heartbeats, read when sent. */
  java.util.function.Supplier<java.util.Map<String, Long>> failsafeSlots = java.util.Map::of;

  /** The members a failsafe primary must hear from: name to api_url (ourselves excluded). */
  java.util.Map<String, String> failsafeMembers = java.util.Map.of();

  /**
   * We published the failsafe topology, ourselves in it: without it nobody vouches for us; with
   * nobody else in it (a one-member cluster), nobody else could take over.
   */
  boolean failsafeListed;

  /** Every member vouched for us this cycle while the store was unreachable. */
  boolean failsafeActive;

  /**
   * A running primary's WAL position when {@code synchronous_standby_names} last changed (or when
   * we first saw it as primary), -1 when not a primary.
   */
  long syncMark = -1;

  /** When the store last answered a read (wall clock, seconds), for {@code /patroni}. */
  volatile long dcsLastSeenEpochSeconds;

  /** The decider asked us to stop. */
  boolean halted;

  /** Why the agent cannot go on (a failed bootstrap), null while it can: the process exits. */
  volatile String fatal;
}
