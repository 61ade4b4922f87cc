package io.pgregent.postgres;

import io.pgregent.postgres.status.ReplicationRow;
import io.pgregent.postgres.status.ServerStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable snapshot of the local PostgreSQL, taken with bounded calls only.
 *
 * @param runState whether the postmaster runs
 * @param role from the server when it answered, else from {@code standby.signal}
 * @param postmasterPid the live postmaster's pid, 0 when none
 * @param dataDirectoryInitialized whether the data directory holds a cluster ({@code PG_VERSION})
 * @param server what the status queries returned; empty when stopped or when they failed
 * @param queryError why the status queries failed (e.g. a timeout), empty when they did not
 */
public record LocalPostgresState(
    RunState runState,
    PostgresRole role,
    long postmasterPid,
    boolean dataDirectoryInitialized,
    Optional<ServerStatus> server,
    Optional<String> queryError) {

  public boolean isRunning() {
    return runState == RunState.RUNNING;
  }

  /** Running and answering queries. */
  public boolean isHealthy() {
    return isRunning() && server.isPresent();
  }

  public Optional<Integer> timeline() {
    return server.map(ServerStatus::timeline);
  }

  public Optional<String> systemIdentifier() {
    return server.map(ServerStatus::systemIdentifier);
  }

  public Optional<Instant> postmasterStartTime() {
    return server.map(ServerStatus::postmasterStartTime);
  }

  /** Whether a parameter change waits for a restart. */
  public boolean pendingRestart() {
    return server.map(s -> !s.pendingRestart().isEmpty()).orElse(false);
  }

  public Set<String> pendingRestartParameters() {
    return server.map(ServerStatus::pendingRestart).orElse(Set.of());
  }

  public List<ReplicationRow> replication() {
    return server.map(ServerStatus::replication).orElse(List.of());
  }
}
