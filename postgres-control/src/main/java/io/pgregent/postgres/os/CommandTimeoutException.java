package io.pgregent.postgres.os;

import io.pgregent.postgres.PostgresException;
import java.time.Duration;

/** An external command did not finish within its bound and was killed. */
public class CommandTimeoutException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public CommandTimeoutException(String program, Duration timeout) {
    super(program + " did not finish within " + timeout.toMillis() + " ms and was killed");
  }
}
