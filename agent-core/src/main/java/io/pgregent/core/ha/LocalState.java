package io.pgregent.core.ha;

import io.pgregent.core.cluster.TimelineHistory;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The local PostgreSQL as sampled at the start of a decision.
 *
 * @param run what the server is doing
 * @param inRecovery true when running as a standby
 * @param systemIdentifier from pg_controldata or the server, when known
 * @param timeline the server's current timeline, 0 when unknown
 * @param walPosition primary: the current write LSN; standby: the larger of received and replayed
 * @param upstream the member this standby is configured to stream from, when known
 * @param streaming true when a standby's WAL receiver is streaming
 * @param task a long action still running (e.g. {@code basebackup}), or empty
 * @param replication a primary's synchronous replication
 * @param lineage the switches that led to our timeline, from its history file (timeline and the LSN
 *     where it ended; no timestamp or leader), empty on timeline 1 or when unknown
 * @param formerPrimary the data was a primary's since it last joined a leader (demoted, or started
 *     read-only with no leader): its WAL may go past the point where the leader's timeline forked
 */
public record LocalState(
    PostgresRunState run,
    boolean inRecovery,
    Optional<String> systemIdentifier,
    long timeline,
    long walPosition,
    Optional<String> upstream,
    boolean streaming,
    Optional<String> task,
    ReplicationStatus replication,
    List<TimelineHistory.Entry> lineage,
    boolean formerPrimary) {

  public LocalState {
    Objects.requireNonNull(replication, "replication");
    lineage = List.copyOf(lineage);
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(task, "task");
  }

  /** A local state without synchronous replication details or timeline history. */
  public LocalState(
      PostgresRunState run,
      boolean inRecovery,
      Optional<String> systemIdentifier,
      long timeline,
      long walPosition,
      Optional<String> upstream,
      boolean streaming,
      Optional<String> task) {
    this(
        run,
        inRecovery,
        systemIdentifier,
        timeline,
        walPosition,
        upstream,
        streaming,
        task,
        ReplicationStatus.NONE,
        List.of(),
        false);
  }

  /** This state with {@code lineage} as the switches that led to our timeline. */
  public LocalState withLineage(List<TimelineHistory.Entry> lineage) {
    return with(lineage, formerPrimary);
  }

  /** This state with {@code value} as whether the data was a primary's since it last joined. */
  public LocalState withFormerPrimary(boolean value) {
    return with(lineage, value);
  }

  private LocalState with(List<TimelineHistory.Entry> lineage, boolean formerPrimary) {
    return new LocalState(
        run,
        inRecovery,
        systemIdentifier,
        timeline,
        walPosition,
        upstream,
        streaming,
        task,
        replication,
        lineage,
        formerPrimary);
  }

  /** Our WAL may hold commits the leader's timeline does not: joining it may need a rewind. */
  public boolean hasPrimaryData() {
    return !inRecovery || formerPrimary;
  }

  public boolean isRunningPrimary() {
    return run == PostgresRunState.RUNNING && !inRecovery;
  }

  public boolean isRunningReplica() {
    return run == PostgresRunState.RUNNING && inRecovery;
  }
}
