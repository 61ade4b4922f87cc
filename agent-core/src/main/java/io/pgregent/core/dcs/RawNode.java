package io.pgregent.core.dcs;

import java.util.Objects;

/**
 * One key as a store returns it, before parsing.
 *
 * @param path the key relative to the cluster prefix, e.g. {@code members/pg0}
 * @param value the value as text
 * @param version the store's version of the key: strictly positive, growing with each write
 */
public record RawNode(String path, String value, long version) {
  public RawNode {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(value, "value");
    if (version <= 0) {
      throw new IllegalArgumentException("version must be positive: " + version);
    }
  }
}
