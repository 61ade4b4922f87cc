package io.pgregent.postgres.config;

import java.util.Map;

/**
 * One entry of {@code postgresql.create_replica_methods} other than {@code basebackup}: {@code
 * postgresql.<name>.{command, keep_data, no_params, no_leader, ...}}.
 *
 * @param name the method's name
 * @param command the command line (split like a shell would, without expansion)
 * @param keepData don't empty the data directory before running it
 * @param noParams don't append Patroni's parameters
 * @param noLeader may run without a leader to clone from
 * @param extraParams further keys, in the order of the configuration, appended as {@code
 *     --key=value}
 */
public record ReplicaMethod(
    String name,
    String command,
    boolean keepData,
    boolean noParams,
    boolean noLeader,
    Map<String, String> extraParams) {

  public ReplicaMethod {
    extraParams =
        java.util.Collections.unmodifiableMap(
            new java.util.LinkedHashMap<>(extraParams == null ? Map.of() : extraParams));
  }

  public static ReplicaMethod of(String name, String command) {
    return new ReplicaMethod(name, command, false, false, false, Map.of());
  }
}
