package io.pgregent.postgres.status;

/**
 * One row of {@code pg_stat_replication} on this server.
 *
 * @param pid the walsender's pid
 * @param usename the replication role
 * @param applicationName the standby's {@code application_name} (its member name)
 * @param clientAddr the standby's address, may be null (unix socket)
 * @param state {@code streaming}, {@code catchup}, ...
 * @param syncState {@code async}, {@code sync}, {@code potential}, {@code quorum}
 * @param sentLsn bytes sent, -1 when unknown
 * @param writeLsn written by the standby, -1 when unknown
 * @param flushLsn flushed by the standby, -1 when unknown
 * @param replayLsn replayed by the standby, -1 when unknown
 * @param replayLagMillis {@code replay_lag} in milliseconds (0 once caught up and idle, when
 *     PostgreSQL shows no lag time), -1 when unknown
 */
public record ReplicationRow(
    int pid,
    String usename,
    String applicationName,
    String clientAddr,
    String state,
    String syncState,
    long sentLsn,
    long writeLsn,
    long flushLsn,
    long replayLsn,
    long replayLagMillis) {}
