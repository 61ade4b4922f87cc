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
 * @param recoveryConf {@code recovery_conf}: recovery settings the first start recovers with (e.g.
 *     {@code restore_command}, {@code recovery_target_action}); empty for none
 */
public record BootstrapMethod(
    String name,
    String command,
    boolean noParams,
    boolean keepExistingRecoveryConf,
    Map<String, String> extraParams,
    Map<String, String> recoveryConf) {

  public BootstrapMethod {
    extraParams = Map.copyOf(extraParams == null ? Map.of() : extraParams);
    recoveryConf = Map.copyOf(recoveryConf == null ? Map.of() : recoveryConf);
  }

  /** A method without {@code recovery_conf}. */
  public BootstrapMethod(
      String name,
      String command,
      boolean noParams,
      boolean keepExistingRecoveryConf,
      Map<String, String> extraParams) {
    this(name, command, noParams, keepExistingRecoveryConf, extraParams, Map.of());
  }
}
