package io.pgregent.core.dcs;

/**
 * The store refused us for a reason in our configuration: wrong credentials, a certificate it does
 * not trust. The message names the setting to fix; retrying does not help.
 */
public class DcsConfigurationException extends DcsException {
  private static final long serialVersionUID = 1L;

  public DcsConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
