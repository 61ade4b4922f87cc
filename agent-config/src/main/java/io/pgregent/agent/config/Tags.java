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
    // In the order written: readers compare the member key's tags as text.
    all = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(all));
  }

  private static final java.util.Set<String> FLAGS =
      java.util.Set.of("clonefrom", "nofailover", "noloadbalance", "nosync", "nostream");

  /**
   * The tags as Patroni publishes them (member key, {@code /patroni}): its boolean tags only when
   * set, except {@code nofailover}/{@code nosync} beside {@code failover_priority}/{@code
   * sync_priority} (a reader needs both to see a contradiction); every other tag as written.
   */
  public Map<String, Object> published() {
    Map<String, Object> shown = new java.util.LinkedHashMap<>();
    all.forEach(
        (k, v) -> {
          if (!FLAGS.contains(k)
              || truthy(v)
              || (k.equals("nofailover") && all.containsKey("failover_priority"))
              || (k.equals("nosync") && all.containsKey("sync_priority"))) {
            shown.put(k, v);
          }
        });
    return shown;
  }

  /** {@code nostream}: this member recovers from the archive only, it never streams. */
  public boolean nostream() {
    Boolean b = ConfigValues.parseBool(all.get("nostream"));
    return b != null && b;
  }

  private static boolean truthy(Object v) {
    if (v == null || Boolean.FALSE.equals(v)) {
      return false;
    }
    if (v instanceof Number n) {
      return n.doubleValue() != 0;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    return true;
  }

  public static Tags none() {
    return new Tags(false, 1, false, false, false, null, Map.of());
  }
}
