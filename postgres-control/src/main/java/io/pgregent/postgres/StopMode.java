package io.pgregent.postgres;

import java.util.List;
import java.util.Locale;

/** PostgreSQL's shutdown modes; a stop that runs over its bound escalates to the next one. */
public enum StopMode {
  SMART,
  FAST,
  IMMEDIATE;

  /** {@code pg_ctl -m} value. */
  public String pgCtlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** This mode and the harder ones, in escalation order. */
  public List<StopMode> escalation() {
    return switch (this) {
      case SMART -> List.of(SMART, FAST, IMMEDIATE);
      case FAST -> List.of(FAST, IMMEDIATE);
      case IMMEDIATE -> List.of(IMMEDIATE);
    };
  }
}
