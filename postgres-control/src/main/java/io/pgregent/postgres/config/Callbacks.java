package io.pgregent.postgres.config;

/**
 * Patroni's {@code postgresql.callbacks}: commands run asynchronously as {@code <cmd> <action>
 * <role> <scope>}. Any of them may be null.
 */
public record Callbacks(
    String onStart, String onStop, String onRestart, String onReload, String onRoleChange) {

  public static final Callbacks NONE = new Callbacks(null, null, null, null, null);

  /** The command configured for {@code action}, or null. */
  public String forAction(CallbackAction action) {
    return switch (action) {
      case ON_START -> onStart;
      case ON_STOP -> onStop;
      case ON_RESTART -> onRestart;
      case ON_RELOAD -> onReload;
      case ON_ROLE_CHANGE -> onRoleChange;
    };
  }
}
