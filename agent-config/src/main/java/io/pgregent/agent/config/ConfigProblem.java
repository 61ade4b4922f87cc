package io.pgregent.agent.config;

import java.util.Objects;

/**
 * One problem found in the configuration, naming the key it concerns.
 *
 * @param severity an {@link Severity#ERROR} stops the agent from starting, a {@link
 *     Severity#WARNING} is logged
 * @param key the configuration key ({@code restapi.listen}), or the file or variable when the
 *     problem concerns a whole source
 * @param message what is wrong, never containing a secret value
 */
public record ConfigProblem(Severity severity, String key, String message) {

  /** How bad a problem is. */
  public enum Severity {
    /** The configuration cannot be used. */
    ERROR,
    /** The configuration can be used; something in it is ignored, deprecated or risky. */
    WARNING
  }

  public ConfigProblem {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(message, "message");
  }

  public static ConfigProblem error(String key, String message) {
    return new ConfigProblem(Severity.ERROR, key, message);
  }

  public static ConfigProblem warning(String key, String message) {
    return new ConfigProblem(Severity.WARNING, key, message);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code <key>: <problem>}. */
  @Override
  public String toString() {
    return key + ": " + message;
  }
}
