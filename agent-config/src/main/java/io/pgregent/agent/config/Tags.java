package io.pgregent.agent.config;

import java.util.Map;

/**
 * Patroni's {@code tags:} section.
 *
 * @param nofailover never become leader
 * @param failoverPriority rank in the leader race at equal WAL position (0 = never; default 1)
 * @param nosync never become a synchronous standby
 * @param noloadbalance {@code /replica} answers 503
 * @param clonefrom other members may clone from this one
 * @param replicatefrom the member to stream from instead of the leader, or null
 * @param all every tag as written, for the member key and {@code ?tag_} filters
 */
public record Tags(
    boolean nofailover,
    int failoverPriority,
    boolean nosync,
    boolean noloadbalance,
    boolean clonefrom,
    String replicatefrom,
    Map<String, Object> all) {

  public Tags {
    all = Map.copyOf(all);
  }

  public static Tags none() {
    return new Tags(false, 1, false, false, false, null, Map.of());
  }
}
