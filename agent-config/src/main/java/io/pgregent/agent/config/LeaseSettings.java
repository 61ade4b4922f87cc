package io.pgregent.agent.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What guards the leader lease outside the HA loop: Patroni's {@code watchdog:} and Regent's {@code
 * regent.fence:}. Both may be on.
 *
 * @param watchdog the {@code watchdog:} section
 * @param fence the {@code regent.fence:} section
 */
public record LeaseSettings(WatchdogSettings watchdog, FenceSettings fence) {

  public LeaseSettings {
    Objects.requireNonNull(watchdog, "watchdog");
    Objects.requireNonNull(fence, "fence");
  }

  /** Patroni's watchdog defaults and an automatic fence beside {@code dataDir}. */
  public static LeaseSettings defaults(Path dataDir) {
    return new LeaseSettings(WatchdogSettings.DEFAULTS, FenceSettings.defaults(dataDir));
  }
}
