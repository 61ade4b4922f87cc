package io.pgregent.core.ha;

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
    ReplicationStatus replication) {

  public LocalState {
    Objects.requireNonNull(replication, "replication");
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(task, "task");
  }

  /** A local state without synchronous replication details. */
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
        ReplicationStatus.NONE);
  }

  public boolean isRunningPrimary() {
    return run == PostgresRunState.RUNNING && !inRecovery;
  }

  public boolean isRunningReplica() {
    return run == PostgresRunState.RUNNING && inRecovery;
  }
}
