package io.pgregent.core.ha;

/**
 * Why a decision was taken, with the status message an operator reads (Patroni's wording where
 * Patroni has one). Arguments fill the {@code %s} placeholders in order.
 */
public enum Reason {
  LEADER_WITH_LOCK("no action. I am (%s), the leader with the lock"),
  STANDBY_LEADER_WITH_LOCK("no action. I am (%s), the standby leader with the lock"),
  FOLLOWING_REMOTE_WITH_LOCK("promoted self to a standby leader because i had the session lock"),
  STANDBY_LEADER_BY_ACQUIRING_LOCK("promoted self to a standby leader by acquiring session lock"),
  STARTING_AS_STANDBY_LEADER("starting as a standby leader because i had the session lock"),
  PRIMARY_IN_STANDBY_CLUSTER("cannot be a real primary in standby cluster"),
  FOLLOWING_STANDBY_LEADER(
      "no action. I am (%s), a secondary, and following a standby leader (%s)"),
  BOOTSTRAPPING_STANDBY_LEADER("trying to bootstrap a new standby leader"),
  WAITING_FOR_STANDBY_LEADER_BOOTSTRAP("waiting for standby_leader to bootstrap"),
  FOLLOWING_LEADER("no action. I am (%s), a secondary, and following a leader (%s)"),
  REFRESHING_LOCK("refreshing the leader lock"),
  ACQUIRING_LOCK("trying to acquire the leader lock: I am the healthiest node"),
  ACQUIRED_LOCK("acquired session lock as a leader"),
  PROMOTED_BY_ACQUIRING_LOCK("promoted self to leader by acquiring session lock"),
  PROMOTED_BECAUSE_HAD_LOCK("promoted self to leader because I had the session lock"),
  LOST_LOCK_RACE("following new leader after trying and failing to obtain lock"),
  DEMOTED_LOCK_NOT_UPDATED("demoted self because failed to update leader lock in DCS"),
  LOCK_NOT_UPDATED("failed to update leader lock in DCS"),
  DEMOTING_NO_LOCK("demoting self because i do not have the lock and i was a leader"),
  DEMOTING_DCS_UNREACHABLE("demoting self because DCS is not accessible and I was a leader"),
  UNQUERYABLE_PRIMARY_WITHOUT_LOCK(
      "demoting self: PostgreSQL runs as a primary without the leader lock and does not answer"),
  DCS_UNREACHABLE("DCS is not accessible"),
  FAILSAFE_CHECK("DCS is not accessible: asking every member to accept me as the primary"),
  FAILSAFE_KEEPS_PRIMARY(
      "continue to run as a leader because failsafe mode is enabled and all members are"
          + " accessible"),
  FAILSAFE_LEADER_ALIVE(
      "no action. I am (%s), a secondary: the primary is alive in failsafe mode, no leader race"),
  FAILSAFE_PROMISE_AFTER_START(
      "no action. I am (%s), a secondary: restarted within the failsafe heartbeat validity and a"
          + " member I may have vouched for does not answer as a standby, no leader race"),
  TRYING_TO_BOOTSTRAP("trying to bootstrap a new cluster"),
  BOOTSTRAPPING("bootstrapping a new cluster"),
  INITIALIZE_RACE_LOST("failed to acquire initialize lock"),
  WAITING_FOR_BOOTSTRAP("waiting for leader to bootstrap"),
  CLONING_FROM_LEADER("trying to bootstrap from leader '%s'"),
  CLONING_FROM_REPLICA("trying to bootstrap from replica '%s'"),
  CLONING_WITHOUT_LEADER("trying to bootstrap (without leader)"),
  WAITING_FOR_LEADER_ADDRESS("waiting for leader '%s' to publish its address"),
  WAITING_FOR_LEADER_TO_PROMOTE(
      "waiting for the leader %s to run as the primary before rejoining it: my data is a"
          + " primary's"),
  STARTING_AS_SECONDARY("starting as a secondary"),
  ADOPTING_PRIMARY(
      "taking the leader lock to start the existing primary: the store knows no cluster"),
  STARTING_ADOPTED_PRIMARY("starting the existing primary as the leader"),
  STARTING_PRIMARY_AFTER_FAILURE("starting primary after failure"),
  WAITING_FOR_POSTGRES("waiting for PostgreSQL to start"),
  PRIMARY_START_FAILED("removed leader key after trying and failing to start postgres"),
  PRIMARY_START_TIMED_OUT("primary start has timed out, releasing the leader lock"),
  NO_DATA_RELEASING_LOCK("releasing the leader lock: no data directory to run as the leader"),
  FOLLOWING_NEW_LEADER("following a new leader (%s)"),
  FOLLOWING_REPLICATEFROM("streaming from %s as tag replicatefrom asks, leader %s"),
  QUERYING_PEERS("checking whether I am the healthiest node"),
  NOT_HEALTHIEST("following a different leader because i am not the healthiest node"),
  PEER_WAL_AHEAD(
      "following a different leader because i am not the healthiest node: Wal position of %s is"
          + " ahead of my wal position"),
  PEER_HIGHER_PRIORITY(
      "following a different leader because i am not the healthiest node: %s has equally"
          + " tolerable WAL position and priority %s, while this node has priority %s"),
  NOT_ALLOWED_TO_PROMOTE("following a different leader because I am not allowed to promote"),
  LAG_TOO_HIGH("my wal position exceeds maximum replication lag"),
  TIMELINE_BEHIND("My timeline %s is behind last known cluster timeline %s"),
  SYSTEM_ID_MISMATCH(
      "data directory belongs to another cluster: system identifier %s, the store says %s"),
  TASK_RUNNING("%s in progress"),
  PAUSED_LEADER("PAUSE: no action. I am (%s), the leader with the lock"),
  PAUSED_SECONDARY("PAUSE: no action. I am (%s), a secondary, and following a leader (%s)"),
  PAUSED_NO_LEADER("PAUSE: no action. I am (%s), the cluster has no leader"),
  PAUSED_PRIMARY_WITHOUT_LOCK("PAUSE: continue to run as primary without lock"),
  PAUSED_POSTGRES_NOT_RUNNING("PAUSE: PostgreSQL is not running, no action"),
  SYNC_STATE_CLAIMED("I am (%s), the leader: taking over the synchronous replication state"),
  SYNC_BEFORE_PROMOTE("taking over the synchronous replication state before promoting"),
  SYNC_STANDBYS_REMOVED("removing %s from the synchronous standbys"),
  SYNC_STANDBY_NAMES("setting synchronous_standby_names to '%s'"),
  SYNC_STANDBYS_ASSIGNED("synchronous standby status assigned to %s"),
  SYNC_QUORUM_RAISED(
      "raising the synchronous quorum to %s before changing synchronous_standby_names"),
  SYNC_QUORUM_UPDATED("synchronous quorum %s of voters %s"),
  SYNC_DISABLED("synchronous mode is off: dropping the synchronous replication state"),
  NOT_SYNC_STANDBY(
      "following a different leader because I am not a synchronous standby: only the last leader"
          + " and the synchronous standbys may be promoted"),
  QUORUM_NOT_REACHED(
      "following a different leader because the quorum requirement %s cannot be reached: %s"
          + " vote(s)"),
  CHECKING_CANDIDATES("manual failover: checking the candidates"),
  MANUAL_FAILOVER_DEMOTING("manual failover: demoting myself"),
  NO_HEALTHY_CANDIDATE("manual failover: no healthy members found, failover is not possible"),
  FAILOVER_LEADER_MISMATCH("manual failover: leader name does not match: %s != %s"),
  FAILOVER_DONE_CLEANING_UP("manual failover: I am the new leader, cleaning up the failover key"),
  AWAITING_SCHEDULED_SWITCHOVER("Awaiting failover at %s (in %s seconds)"),
  STALE_FAILOVER("Found a stale failover value, cleaning up"),
  PAUSED_FAILOVER_NEEDS_CANDIDATE(
      "manual failover: in maintenance mode a switchover needs a named candidate, cleaning up"),
  MANUAL_FAILOVER_CANDIDATE("manual failover: I am the candidate, acquiring the leader lock"),
  WAITING_FOR_CANDIDATE("manual failover: waiting for the candidate %s to take the leader lock"),
  FORMER_LEADER_STANDS_ASIDE(
      "manual failover: I am the former leader and a healthy member can take over"),
  NOT_IN_FAILSAFE_TOPOLOGY(
      "following a different leader because I am not in the failsafe topology: only the members"
          + " the last leader knew may be promoted"),
  NOT_SYNC_STANDBY_RELEASING_LOCK(
      "releasing the leader lock instead of promoting: the synchronous replication state names"
          + " %s and its standbys, not me"),
  QUORUM_NOT_REACHED_RELEASING_LOCK(
      "releasing the leader lock instead of promoting: the quorum requirement %s cannot be"
          + " reached: %s vote(s)"),
  PROMOTION_FAILED_RELEASING_LOCK(
      "Promotion cancelled because the pre-promote script or the promotion failed: releasing the"
          + " leader lock"),
  PROMOTION_BACKOFF(
      "backoff: skip leader race after a failed promotion and releasing the lock voluntarily"),
  SWITCHOVER_CANDIDATE_NOT_SYNC(
      "manual failover: switchover candidate=%s does not match with sync_standbys=%s, cleaning"
          + " up"),
  REREADING_BEFORE_RETAKING_LOCK(
      "running as a primary without the leader lock: reading the cluster again before taking it"),
  REPAIRING_HISTORY(
      "the cluster history lacks the switch to timeline %s: recording it from PostgreSQL's"
          + " timeline history"),
  TASK_RUNNING_LEADER("%s in progress, the leader lock is held"),
  DIVERGED_FROM_LEADER(
      "my WAL on timeline %s went past %s, where the leader's timeline forked off: rejoining %s"
          + " through pg_rewind"),
  HISTORY_DIFFERS_FROM_TIMELINE_FILE(
      "the cluster history has timeline %s ending at %s, PostgreSQL's timeline history at %s:"
          + " recording it from PostgreSQL's timeline history"),
  FORKED_OFF_LEADER_LINEAGE(
      "my timeline history has timeline %s ending at %s, the leader's at %s: rejoining %s through"
          + " pg_rewind"),
  TIMELINE_NOT_IN_LEADER_HISTORY(
      "my timeline %s is not in the leader's history: rejoining %s through pg_rewind"),
  PAST_LEADER_TIMELINE(
      "my timeline %s is past the leader's %s, which my timeline history left at %s and the"
          + " leader wrote past: pg_rewind cannot tell where we parted, reinitialize this member"),
  NEVER_ON_LEADER_TIMELINE(
      "my timeline %s is past the leader's %s, which my timeline history never passed: rejoining"
          + " %s through pg_rewind");

  private final String template;

  Reason(String template) {
    this.template = template;
  }

  public String template() {
    return template;
  }

  /** The number of {@code %s} placeholders. */
  public int arity() {
    int n = 0;
    for (int i = template.indexOf("%s"); i >= 0; i = template.indexOf("%s", i + 2)) {
      n++;
    }
    return n;
  }
}
