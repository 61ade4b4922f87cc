package io.pgregent.agent.watchdog;

import java.nio.charset.StandardCharsets;

/**
 * Patroni's {@code testing} watchdog driver: the Linux device's protocol as plain writes that a
 * FIFO (or a file) can record. {@code 1} is a keep-alive, {@code V} the magic close, and {@code
 * Ctimeout=<n>} followed by a newline sets the timeout (the ioctls a FIFO cannot take). It reports
 * magic close and a settable timeout, and never resets anything.
 */
final class TestingWatchdogDevice extends LinuxWatchdogDevice {

  /** The timeout a fresh harness reports before one is set. */
  static final int INITIAL_TIMEOUT = 60;

  private int timeout = INITIAL_TIMEOUT;

  TestingWatchdogDevice(String device) {
    super(device);
  }

  @Override
  int openFlags() {
    // Non-blocking: a FIFO nobody reads fails to open at once instead of stalling the HA loop.
    return Posix.writeOnlyNonBlockingAppend();
  }

  @Override
  Support support() {
    return new Support(WDIOF_MAGICCLOSE | WDIOF_SETTIMEOUT, 0, "Watchdog test harness");
  }

  @Override
  public void setTimeout(int seconds) throws WatchdogException {
    checkTimeout(seconds);
    write(
        ("Ctimeout=" + seconds + "\n").getBytes(StandardCharsets.UTF_8),
        "Could not set timeout on watchdog device: ");
    timeout = seconds;
  }

  @Override
  public int timeout() {
    return timeout;
  }

  @Override
  public void keepalive() throws WatchdogException {
    write(new byte[] {'1'}, "Could not send watchdog keepalive: ");
  }

  @Override
  public String describe() {
    return "Watchdog test harness at " + device;
  }
}
