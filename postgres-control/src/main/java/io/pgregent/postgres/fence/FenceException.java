package io.pgregent.postgres.fence;

import io.pgregent.postgres.PostgresException;

/**
 * The fence cannot be started, or is gone: it no longer guards PostgreSQL. The caller restarts it
 * with {@link FenceProcess#startOrAdopt} or, when the fence is required, gives up the leader lock.
 */
public class FenceException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public FenceException(String message) {
    super(message);
  }

  public FenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
