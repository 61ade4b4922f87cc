package io.pgregent.agent.config;

import java.util.Locale;

/**
 * How a lease guard (Patroni's {@code watchdog.mode}, Regent's {@code regent.fence.mode}) is used.
 */
public enum GuardMode {
  /** Never used. */
  OFF,
  /** Used when it can be; without it the member runs on, with a warning. */
  AUTOMATIC,
  /** The member never takes or keeps the leader lock without it. */
  REQUIRED;

  /**
   * The mode a configuration value names, or null when it names none. Patroni's forms: {@code off}
   * (YAML reads a bare {@code off} as {@code false}), {@code disable}, {@code disabled}, {@code
   * auto}, {@code automatic}, {@code require}, {@code required}, in any case. {@code true}/{@code
   * on} name none: Patroni's validator rejects them and its runtime turns them into {@code off},
   * the opposite of what whoever wrote them meant.
   */
  public static GuardMode parse(Object value) {
    if (Boolean.FALSE.equals(value)) {
      return OFF;
    }
    if (!(value instanceof String s)) {
      return null;
    }
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "off", "disable", "disabled", "false", "no" -> OFF;
      case "auto", "automatic" -> AUTOMATIC;
      case "require", "required" -> REQUIRED;
      default -> null;
    };
  }

  /** The value as Patroni writes it ({@code off}, {@code automatic}, {@code required}). */
  public String patroniName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
