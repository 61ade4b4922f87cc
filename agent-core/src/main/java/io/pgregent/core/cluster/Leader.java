package io.pgregent.core.cluster;

import java.util.Objects;

/**
 * The {@code leader} key: the plain name of the member holding the leader lock.
 *
 * @param name the holder's member name
 * @param version the store's version of the key
 */
public record Leader(String name, long version) {
  public Leader {
    Objects.requireNonNull(name, "name");
  }
}
