package io.pgregent.core.dcs;

/** A value in the store that does not have the shape its key requires. */
public class MalformedValueException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MalformedValueException(String message) {
    super(message);
  }
}
