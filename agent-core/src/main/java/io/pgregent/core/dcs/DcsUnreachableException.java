package io.pgregent.core.dcs;

/**
 * The store could not be reached within {@code retry_timeout}. The HA loop treats this as "the
 * store is down", never as "the value is absent": a primary that cannot refresh its lock demotes.
 */
public class DcsUnreachableException extends DcsException {
  private static final long serialVersionUID = 1L;

  private final String endpoint;

  public DcsUnreachableException(String endpoint, String message, Throwable cause) {
    super(endpoint + ": " + message, cause);
    this.endpoint = endpoint;
  }

  /** The endpoint (or endpoints) last tried. */
  public String endpoint() {
    return endpoint;
  }
}
