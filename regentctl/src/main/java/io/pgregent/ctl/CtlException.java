package io.pgregent.ctl;

/** A failure the user can act on: printed as one line, exit code 1, no stack trace. */
final class CtlException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  CtlException(String message) {
    super(message);
  }

  CtlException(String message, Throwable cause) {
    super(message, cause);
  }
}
