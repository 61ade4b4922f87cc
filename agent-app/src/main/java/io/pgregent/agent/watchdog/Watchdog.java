package io.pgregent.agent.watchdog;

import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.config.WatchdogSettings;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni's watchdog ({@code watchdog:}) as the HA loop uses it: armed before this member promotes
 * or keeps the leader lock, pinged once per cycle while it leads, disarmed on demotion, pause and a
 * clean stop. If the loop stalls as leader, the watchdog fires {@code ttl − safety_margin} seconds
 * after the last ping, before the leader key expires and another member can promote.
 *
 * <p>The HA loop calls {@link #activate}, {@link #keepalive} and {@link #disable} from its one
 * thread; {@link #isHealthy()} and {@link #watchdogFailed()} may be read from any thread.
 *
 * <p>In {@code required} mode a member whose {@link #activate} returns false must not take or keep
 * the leader lock ({@link #refusesLeadership()}), and one whose watchdog is not {@link #isHealthy()
 * healthy} does not join a leader race. In {@code automatic} mode a watchdog that cannot be opened
 * is logged once and the member runs without it. {@code off} opens nothing.
 */
public final class Watchdog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

  private final WatchdogSettings settings;
  private final WatchdogDevice device;

  /** The timeout this member asked for and the one in force; 0 while not active. */
  private int requestedTimeout;

  private int actualTimeout;
  private volatile boolean active;

  /** False after an activation whose ttl leaves no safe timeout. */
  private volatile boolean timingSafe = true;

  /** Why the last activation failed, so that a repeated failure is logged once. */
  private String lastFailure;

  private String lastKeepaliveFailure;

  /** Automatic mode warns once per agent; later failures (one per promotion) are debug. */
  private boolean warnedAutomatic;

  /** The watchdog {@code settings} describe (a device is opened only by {@link #activate}). */
  public Watchdog(WatchdogSettings settings) {
    this(settings, deviceFor(settings));
  }

  Watchdog(WatchdogSettings settings, WatchdogDevice device) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.device = settings.mode() == GuardMode.OFF ? null : device;
  }

  /** The driver's device; null where the driver cannot work (the Linux driver off Linux). */
  static WatchdogDevice deviceFor(WatchdogSettings settings) {
    return switch (settings.driver()) {
      case TESTING -> new TestingWatchdogDevice(settings.device());
      case LINUX ->
          System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
              ? new LinuxWatchdogDevice(settings.device())
              : null;
    };
  }

  /** {@code watchdog.mode}. */
  public GuardMode mode() {
    return settings.mode();
  }

  /** The settings in force. */
  public WatchdogSettings settings() {
    return settings;
  }

  /** Like {@link #activate(int, int)} without the check against {@code loop_wait}. */
  public boolean activate(int ttlSeconds) {
    return activate(ttlSeconds, 0);
  }

  /**
   * Arms the watchdog for a leader key of {@code ttlSeconds}: opens the device if it is not open
   * and sets its timeout to {@code ttl − safety_margin} (again whenever the ttl changed). Call it
   * before promoting and in every cycle as leader, before {@link #keepalive()}.
   *
   * @param ttlSeconds the leader key's ttl in force
   * @param loopWaitSeconds {@code loop_wait} in force, or 0 to skip the check that the timeout
   *     leaves a whole cycle between pings
   * @return true when the watchdog is armed with a safe timeout (and, in {@code automatic} mode,
   *     also when it runs with a longer timeout than asked, with a warning); false when it is off
   *     or could not be opened or configured. In {@code required} mode false means this member must
   *     not take or keep the leader lock.
   */
  public synchronized boolean activate(int ttlSeconds, int loopWaitSeconds) {
    if (device == null) {
      if (settings.mode() == GuardMode.REQUIRED) {
        return fail(
            "Configuration requires a watchdog, but watchdog is not supported on this platform.");
      }
      return false;
    }
    int wanted = settings.timeoutSeconds(ttlSeconds);
    if (wanted < 1 || loopWaitSeconds > 0 && wanted < loopWaitSeconds) {
      timingSafe = false;
      disarm();
      return fail(
          wanted < 1
              ? "Watchdog not supported because leader TTL "
                  + ttlSeconds
                  + " leaves no timeout after the safety margin of "
                  + settings.safetyMarginSeconds(ttlSeconds)
                  + " seconds"
              : "Watchdog not supported because leader TTL "
                  + ttlSeconds
                  + " minus the safety margin leaves a "
                  + wanted
                  + " second timeout, less than loop_wait "
                  + loopWaitSeconds);
    }
    timingSafe = true;
    if (active && wanted == requestedTimeout) {
      return true;
    }
    boolean wasActive = active;
    try {
      device.open();
      int actual = configure(wanted);
      if (loopWaitSeconds > 0 && actual < loopWaitSeconds) {
        disarm();
        return fail(
            "loop_wait of "
                + loopWaitSeconds
                + " seconds is too long for watchdog "
                + actual
                + " second timeout");
      }
      if (actual > wanted) {
        if (settings.mode() == GuardMode.REQUIRED) {
          disarm();
          return fail(
              "Configuration requires watchdog, but a safe watchdog timeout "
                  + wanted
                  + " could not be configured. Watchdog timeout is "
                  + actual
                  + ".");
        }
        log.warn(
            "Watchdog timeout {} seconds does not ensure safe termination within {} seconds",
            actual,
            wanted);
      }
      if (!wasActive && !canBeDisabled()) {
        log.warn(
            "Watchdog implementation can't be disabled."
                + " Watchdog will trigger after Regent loses leader key.");
      }
      requestedTimeout = wanted;
      actualTimeout = actual;
      active = true;
      lastFailure = null;
    } catch (WatchdogException e) {
      disarm();
      return fail("Could not activate " + device.describe() + ": " + e.getMessage());
    }
    String slack =
        loopWaitSeconds > 0 ? ", timing slack " + (wanted - loopWaitSeconds) + " seconds" : "";
    log.info(
        "{} {} with {} second timeout{}",
        device.describe(),
        wasActive ? "updated" : "activated",
        actualTimeout,
        slack);
    return true;
  }

  /** Sets the timeout where the device can, and returns the one in force. */
  private int configure(int wanted) throws WatchdogException {
    if (device.supportsTimeout()) {
      device.setTimeout(wanted);
    }
    return device.timeout();
  }

  /** Logs why activation failed (once while the reason stays the same) and returns false. */
  private boolean fail(String why) {
    if (!why.equals(lastFailure)) {
      lastFailure = why;
      if (settings.mode() == GuardMode.REQUIRED) {
        log.error("{} (watchdog.mode required: this member will not be the leader)", why);
      } else if (!warnedAutomatic) {
        warnedAutomatic = true;
        log.warn("{} (watchdog.mode automatic: running without a watchdog)", why);
      } else {
        log.debug("{} (watchdog.mode automatic: running without a watchdog)", why);
      }
    }
    return false;
  }

  /** Resets the watchdog's timer; call it once per cycle as leader. Nothing while not active. */
  public synchronized void keepalive() {
    if (!active) {
      return;
    }
    try {
      device.keepalive();
      lastKeepaliveFailure = null;
    } catch (WatchdogException e) {
      if (!e.getMessage().equals(lastKeepaliveFailure)) {
        lastKeepaliveFailure = e.getMessage();
        log.error("Error while sending keepalive: {}", e.getMessage());
      }
    }
  }

  /** Disarms the watchdog (the magic close): on demotion, pause and a clean stop. */
  public synchronized void disable() {
    disarm();
    lastFailure = null;
  }

  private void disarm() {
    active = false;
    requestedTimeout = 0;
    actualTimeout = 0;
    if (device == null || !device.isOpen()) {
      return;
    }
    try {
      if (!canBeDisabled()) {
        // Gives whoever stopped us a full timeout before the host resets.
        device.keepalive();
        log.warn(
            "Watchdog implementation can't be disabled. System will reboot after {} seconds when"
                + " watchdog times out.",
            device.timeout());
      }
    } catch (WatchdogException e) {
      log.error("Error while disabling watchdog: {}", e.getMessage());
    }
    try {
      device.close();
    } catch (WatchdogException e) {
      log.error("Error while disabling watchdog: {}", e.getMessage());
    }
  }

  /** Unknown counts as yes: the magic close is still the right way to let go of it. */
  private boolean canBeDisabled() {
    try {
      return device.canBeDisabled();
    } catch (WatchdogException e) {
      return true;
    }
  }

  /** Whether the watchdog is armed. */
  public boolean isActive() {
    return active;
  }

  /** The timeout in force in seconds, 0 while not active. */
  public synchronized int timeoutSeconds() {
    return actualTimeout;
  }

  /** In {@code required} mode and not armed: this member must not take or keep the leader lock. */
  public boolean refusesLeadership() {
    return settings.mode() == GuardMode.REQUIRED && !active;
  }

  /**
   * Whether the watchdog lets this member lead: always outside {@code required} mode; in it, when
   * the watchdog is armed, or its device is there to be opened and the last ttl left a safe
   * timeout. A member that is not healthy does not join a leader race.
   */
  public boolean isHealthy() {
    if (settings.mode() != GuardMode.REQUIRED) {
      return true;
    }
    return active || device != null && timingSafe && device.isUsable();
  }

  /** {@code watchdog_failed} of {@code GET /patroni}: required, but not usable. */
  public boolean watchdogFailed() {
    return !isHealthy();
  }

  /** Disarms the watchdog (a clean stop). */
  @Override
  public void close() {
    disable();
  }
}
