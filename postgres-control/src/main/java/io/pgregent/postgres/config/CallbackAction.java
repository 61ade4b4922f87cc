package io.pgregent.postgres.config;

import java.util.Locale;

/** The callback actions Patroni passes as the first argument. */
public enum CallbackAction {
  ON_START,
  ON_STOP,
  ON_RESTART,
  ON_RELOAD,
  ON_ROLE_CHANGE;

  /** The name passed to the script, e.g. {@code on_start}. */
  public String argument() {
    return name().toLowerCase(Locale.ROOT);
  }
}
