package io.pgregent.agent.watchdog;

/**
 * One watchdog: once opened, it must be pinged ({@link #keepalive()}) within its timeout or it acts
 * (a real device resets the host). Not thread-safe: {@link Watchdog} serialises the calls.
 */
interface WatchdogDevice {

  /** Opens the device; from then on it must be pinged. */
  void open() throws WatchdogException;

  /** Whether it is open (armed). */
  boolean isOpen();

  /**
   * Whether {@link #open()} can be expected to succeed: the device exists and is writable. Cheap,
   * safe from any thread.
   */
  boolean isUsable();

  /** Whether its timeout can be set. Requires the device to be open. */
  boolean supportsTimeout() throws WatchdogException;

  /**
   * Whether closing it disarms it (the magic close); some devices keep running once opened.
   * Requires the device to be open.
   */
  boolean canBeDisabled() throws WatchdogException;

  /** Sets the timeout in seconds (1–65535). */
  void setTimeout(int seconds) throws WatchdogException;

  /** The timeout in force, in seconds. */
  int timeout() throws WatchdogException;

  /** Resets the timer. */
  void keepalive() throws WatchdogException;

  /** Disarms it with the magic close ({@code V}) and closes it; nothing when it is not open. */
  void close() throws WatchdogException;

  /** A name for log lines, e.g. {@code Software Watchdog at /dev/watchdog1}. */
  String describe();
}
