package io.pgregent.agent.config;

import java.util.Objects;

/**
 * Patroni's {@code watchdog:} section.
 *
 * @param mode {@code watchdog.mode} (default {@code automatic})
 * @param device {@code watchdog.device}, the device (or, with the testing driver, the FIFO or file)
 *     to open (default {@code /dev/watchdog})
 * @param safetyMargin {@code watchdog.safety_margin}: seconds between the watchdog's expiry and the
 *     leader key's (default 5); -1 makes the watchdog expire at half the ttl
 * @param driver {@code watchdog.driver} (default {@code default}, the Linux device)
 */
public record WatchdogSettings(GuardMode mode, String device, int safetyMargin, Driver driver) {

  public static final String DEFAULT_DEVICE = "/dev/watchdog";
  public static final int DEFAULT_SAFETY_MARGIN = 5;

  /** Patroni's defaults: automatic, {@code /dev/watchdog}, 5 s, the Linux driver. */
  public static final WatchdogSettings DEFAULTS =
      new WatchdogSettings(
          GuardMode.AUTOMATIC, DEFAULT_DEVICE, DEFAULT_SAFETY_MARGIN, Driver.LINUX);

  /** How the watchdog is reached. */
  public enum Driver {
    /** The Linux watchdog device interface ({@code default} in Patroni's configuration). */
    LINUX,
    /**
     * Patroni's test harness: plain writes to a FIFO or file ({@code 1} a keep-alive, {@code V} the
     * magic close, {@code Ctimeout=<n>} a new timeout).
     */
    TESTING;

    /** The driver a configuration value names, or null. */
    public static Driver parse(String value) {
      return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
        case "default", "linux" -> LINUX;
        case "testing" -> TESTING;
        default -> null;
      };
    }
  }

  public WatchdogSettings {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(driver, "driver");
    if (safetyMargin < -1) {
      throw new IllegalArgumentException("safety_margin must be at least -1: " + safetyMargin);
    }
  }

  /**
   * The watchdog timeout for a leader key of {@code ttlSeconds}: {@code ttl − safety_margin}, or
   * {@code ttl / 2} (rounded down) with a margin of -1. May be zero or negative when the ttl is
   * shorter than the margin: no safe timeout exists then.
   */
  public int timeoutSeconds(int ttlSeconds) {
    return safetyMargin == -1 ? ttlSeconds / 2 : ttlSeconds - safetyMargin;
  }

  /** The margin in force for {@code ttlSeconds}: the time between the watchdog's and the key's. */
  public int safetyMarginSeconds(int ttlSeconds) {
    return ttlSeconds - timeoutSeconds(ttlSeconds);
  }
}
