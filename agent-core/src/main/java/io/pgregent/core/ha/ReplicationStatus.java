package io.pgregent.core.ha;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A primary's synchronous replication: what Regent set and what PostgreSQL reports.
 *
 * @param synchronousStandbyNames the {@code synchronous_standby_names} Regent put in force, empty
 *     when the configuration's value applies
 * @param confirmFromLsn the primary's WAL position when {@code synchronous_standby_names} last
 *     changed: a standby newly made synchronous holds every earlier commit once it has flushed past
 *     it
 * @param standbys the connected standbys
 */
public record ReplicationStatus(
    Optional<String> synchronousStandbyNames, long confirmFromLsn, List<StandbyLink> standbys) {

  public static final ReplicationStatus NONE =
      new ReplicationStatus(Optional.empty(), 0, List.of());

  public ReplicationStatus {
    Objects.requireNonNull(synchronousStandbyNames, "synchronousStandbyNames");
    standbys = List.copyOf(standbys);
  }
}
