package io.pgregent.core.config;

import java.util.Objects;

/**
 * One problem with one configuration value.
 *
 * @param key the dotted key, e.g. {@code postgresql.use_slots}
 * @param message what is wrong and what is expected
 */
public record ConfigError(String key, String message) {

  public ConfigError {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return key + ": " + message;
  }
}
