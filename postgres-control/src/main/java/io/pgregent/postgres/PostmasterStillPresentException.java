package io.pgregent.postgres;

/**
 * A start refused because the process named in {@code postmaster.pid} still exists: a postmaster
 * that was killed but not yet reaped, or one still exiting. Trying again shortly is the answer, not
 * giving the data directory up.
 */
public class PostmasterStillPresentException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public PostmasterStillPresentException(String message) {
    super(message);
  }
}
