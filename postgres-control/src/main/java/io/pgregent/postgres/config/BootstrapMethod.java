package io.pgregent.postgres.config;

import java.util.Map;

/**
 * A custom bootstrap method ({@code bootstrap.<method>}): a command that creates the data directory
 * instead of {@code initdb}.
 *
 * @param name the method name ({@code bootstrap.method})
 * @param command the command line, called with {@code --scope=} and {@code --datadir=} unless
 *     {@code noParams}
 * @param noParams don't append Patroni's parameters
 * @param keepExistingRecoveryConf keep a {@code standby.signal}/{@code recovery.signal} it wrote
 * @param extraParams further keys, appended as {@code --key=value}
 */
public record BootstrapMethod(
    String name,
    String command,
    boolean noParams,
    boolean keepExistingRecoveryConf,
    Map<String, String> extraParams) {

  public BootstrapMethod {
    extraParams = Map.copyOf(extraParams == null ? Map.of() : extraParams);
  }
}
