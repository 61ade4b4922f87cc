package io.pgregent.core.ha;

import java.util.Objects;

/**
 * One standby connected to the primary, as {@code pg_stat_replication} reports it.
 *
 * @param name its {@code application_name}, the member name
 * @param state {@code streaming}, {@code catchup}, ...
 * @param syncState {@code async}, {@code potential}, {@code sync} or {@code quorum}
 * @param flushLsn the WAL position the standby has flushed, -1 when unknown
 * @param commitLsn the position its confirmations wait for: replayed under {@code
 *     synchronous_commit: remote_apply}, else flushed; what {@code maximum_lag_on_syncnode} is
 *     measured on
 */
public record StandbyLink(
    String name, String state, String syncState, long flushLsn, long commitLsn) {

  /** A standby whose confirmations wait for its flush. */
  public StandbyLink(String name, String state, String syncState, long flushLsn) {
    this(name, state, syncState, flushLsn, flushLsn);
  }

  public StandbyLink {
    Objects.requireNonNull(name, "name");
    state = state == null ? "" : state;
    syncState = syncState == null ? "" : syncState;
  }

  public boolean streaming() {
    return state.equals("streaming");
  }
}
