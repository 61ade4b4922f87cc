package io.pgregent.postgres;

/** An operation on the local PostgreSQL failed; the message says which and why. */
public class PostgresException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public PostgresException(String message) {
    super(message);
  }

  public PostgresException(String message, Throwable cause) {
    super(message, cause);
  }
}
