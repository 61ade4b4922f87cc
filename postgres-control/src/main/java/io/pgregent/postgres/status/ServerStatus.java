package io.pgregent.postgres.status;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * What one round of status queries returned.
 *
 * @param inRecovery {@code pg_is_in_recovery()}
 * @param postmasterStartTime {@code pg_postmaster_start_time()}
 * @param systemIdentifier the cluster's system identifier
 * @param timeline the current timeline (primary: of its WAL insert position; replica: received or
 *     last checkpoint's)
 * @param currentLsn the WAL insert position of a primary, -1 on a replica
 * @param receiveLsn the last WAL received by a replica, -1 when none
 * @param replayLsn the last WAL replayed by a replica, -1 when none
 * @param pendingRestart names of parameters changed in the files that need a restart
 * @param replication {@code pg_stat_replication} rows
 * @param walReceiverStatus {@code pg_stat_wal_receiver.status} on a replica ({@code streaming},
 *     {@code catchup}, ...), null when no WAL receiver runs
 */
public record ServerStatus(
    boolean inRecovery,
    Instant postmasterStartTime,
    String systemIdentifier,
    int timeline,
    long currentLsn,
    long receiveLsn,
    long replayLsn,
    Set<String> pendingRestart,
    List<ReplicationRow> replication,
    String walReceiverStatus) {

  public ServerStatus {
    pendingRestart = Set.copyOf(pendingRestart);
    replication = List.copyOf(replication);
  }

  /** A status without WAL receiver information. */
  public ServerStatus(
      boolean inRecovery,
      Instant postmasterStartTime,
      String systemIdentifier,
      int timeline,
      long currentLsn,
      long receiveLsn,
      long replayLsn,
      Set<String> pendingRestart,
      List<ReplicationRow> replication) {
    this(
        inRecovery,
        postmasterStartTime,
        systemIdentifier,
        timeline,
        currentLsn,
        receiveLsn,
        replayLsn,
        pendingRestart,
        replication,
        null);
  }

  /** A replica whose WAL receiver streams from its upstream. */
  public boolean streaming() {
    return inRecovery && "streaming".equals(walReceiverStatus);
  }
}
