package io.pgregent.postgres.status;

import io.pgregent.postgres.PostgresException;

/** A query against PostgreSQL failed or ran past its bound. */
public class PostgresQueryException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public PostgresQueryException(String message, Throwable cause) {
    super(message, cause);
  }
}
