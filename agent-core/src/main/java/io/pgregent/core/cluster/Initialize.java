package io.pgregent.core.cluster;

import java.util.Objects;
import java.util.Optional;

/**
 * The {@code initialize} key: the PostgreSQL system identifier, empty while the bootstrap winner is
 * still running initdb.
 */
public record Initialize(String systemIdentifier, long version) {
  public Initialize {
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
  }

  /** The system identifier, absent while the bootstrap is in progress. */
  public Optional<String> completed() {
    return systemIdentifier.isEmpty() ? Optional.empty() : Optional.of(systemIdentifier);
  }
}
