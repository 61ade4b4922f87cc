package io.pgregent.agent.watchdog;

/** A watchdog device could not be opened, configured, pinged or closed; the message says why. */
public class WatchdogException extends Exception {

  private static final long serialVersionUID = 1L;

  public WatchdogException(String message) {
    super(message);
  }
}
