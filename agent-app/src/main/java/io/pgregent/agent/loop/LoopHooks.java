package io.pgregent.agent.loop;

import io.pgregent.postgres.LocalPostgresState;
import java.time.Duration;

/** What the loop hears from the executor in the middle of an action. */
interface LoopHooks {
  /** A switchover is about to stop PostgreSQL: stop saying "primary". */
  void steppingDown();

  /** The lock was renewed during a long action: hand the renewal to the lease guard now. */
  void leaseRenewed();

  /**
   * A bootstrap starts ({@code true}) or ends writing the leader key: readers of the snapshot wait
   * for the outcome.
   */
  void claimingLock(boolean on);

  /** A promoted PostgreSQL accepts writes, as {@code pg} shows: say "primary" now. */
  void promoted(LocalPostgresState pg);

  /**
   * Whether a renewal still vouches for the lease (or the cluster is paused): PostgreSQL may become
   * writable now.
   */
  boolean leaseHeld();

  /**
   * Whether a lease renewed at {@code sentNanos} (this agent's clock) would still be held now:
   * false once a call outlived it.
   */
  boolean leaseLiveFrom(long sentNanos);

  /** How long the loop waits between cycles, in seconds. */
  int loopWaitSeconds();

  /** Whether this member may take or keep the lock (a required watchdog is usable). */
  boolean mayLead();

  /** How long a crashed primary may take to start before it hands the lock on. */
  Duration primaryStartTimeout();

  /** The {@code standby_cluster} in force, if this is a standby cluster. */
  java.util.Optional<io.pgregent.core.config.StandbyCluster> standbyCluster();
}
