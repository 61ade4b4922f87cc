package io.pgregent.agent.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Patroni's backward compatibility for the old {@code postgresql:} layout, before {@code
 * authentication:} existed: {@code postgresql.superuser}, {@code postgresql.replication} and {@code
 * postgresql.pg_rewind} (Patroni's {@code Config._build_effective_configuration}). They are moved
 * where they belong now, each with a deprecation warning.
 */
final class LegacyLayout {

  private LegacyLayout() {}

  @SuppressWarnings("unchecked")
  static void rewrite(Map<String, Object> tree, List<ConfigProblem> problems) {
    if (!(tree.get("postgresql") instanceof Map<?, ?> raw)) {
      return;
    }
    Map<String, Object> pg = (Map<String, Object>) raw;
    if (!pg.containsKey("authentication")
        && (pg.containsKey("superuser") || pg.containsKey("replication"))) {
      Map<String, Object> auth = new LinkedHashMap<>();
      for (String user : List.of("replication", "superuser")) {
        Object v = pg.remove(user);
        if (v != null) {
          auth.put(user, v);
          problems.add(
              ConfigProblem.warning(
                  "postgresql." + user,
                  "deprecated: write it as postgresql.authentication." + user));
        }
      }
      pg.put("authentication", auth);
      if (!pg.containsKey("use_pg_rewind")) {
        pg.put("use_pg_rewind", pg.containsKey("pg_rewind"));
      }
    }
    Object rewind = pg.remove("pg_rewind");
    if (rewind != null) {
      if (pg.get("authentication") instanceof Map<?, ?> a && !a.containsKey("superuser")) {
        ((Map<String, Object>) a).put("superuser", rewind);
        problems.add(
            ConfigProblem.warning(
                "postgresql.pg_rewind",
                "deprecated: used as postgresql.authentication.superuser; write it there"));
      } else {
        problems.add(
            ConfigProblem.warning(
                "postgresql.pg_rewind",
                "deprecated and ignored: pg_rewind runs as postgresql.authentication.rewind, or"
                    + " the superuser"));
      }
    }
    for (String user : List.of("replication", "superuser")) {
      if (pg.remove(user) != null) {
        problems.add(
            ConfigProblem.warning(
                "postgresql." + user, "deprecated and ignored: postgresql.authentication is set"));
      }
    }
  }
}
