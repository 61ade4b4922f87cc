package io.pgregent.core.dcs;

/** A store operation that failed for a reason the caller cannot fix by retrying. */
public class DcsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DcsException(String message) {
    super(message);
  }

  public DcsException(String message, Throwable cause) {
    super(message, cause);
  }
}
