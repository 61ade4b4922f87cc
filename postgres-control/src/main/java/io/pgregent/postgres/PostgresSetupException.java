package io.pgregent.postgres;

/**
 * Bad input or environment: the message names the cause and the setting to change. Never retried by
 * the caller; the operator has to act.
 */
public class PostgresSetupException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public PostgresSetupException(String message) {
    super(message);
  }

  public PostgresSetupException(String message, Throwable cause) {
    super(message, cause);
  }
}
