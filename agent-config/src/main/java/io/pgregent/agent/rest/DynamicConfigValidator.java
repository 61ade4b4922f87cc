package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.Timings;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a dynamic configuration (the {@code config} key) before the REST API writes it. Pure: the
 * first problem found is returned as a message naming the key. Patroni stored whatever it was given
 * ({@code {"ttl": "abc"}}); Regent refuses what its agents could not apply.
 */
public final class DynamicConfigValidator {

  /** Patroni's dynamic configuration keys (top level). */
  static final Set<String> KNOWN =
      Set.of(
          "ttl",
          "loop_wait",
          "retry_timeout",
          "maximum_lag_on_failover",
          "maximum_lag_on_syncnode",
          "max_timelines_history",
          "primary_start_timeout",
          "primary_stop_timeout",
          "master_start_timeout",
          "master_stop_timeout",
          "synchronous_mode",
          "synchronous_mode_strict",
          "synchronous_node_count",
          "failsafe_mode",
          "check_timeline",
          "pause",
          "postgresql",
          "standby_cluster",
          "slots",
          "ignore_slots",
          "member_slots_ttl",
          "citus",
          "regent");

  private static final Set<String> POSTGRESQL_BOOLEANS =
      Set.of(
          "use_pg_rewind",
          "use_slots",
          "remove_data_directory_on_rewind_failure",
          "remove_data_directory_on_diverged_timelines");

  private DynamicConfigValidator() {}

  /** Keys a request may not introduce: anything Patroni does not know at the top level. */
  public static Optional<String> unknownKeys(JsonNode request) {
    Iterator<String> names = request.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!KNOWN.contains(name)) {
        return Optional.of("unknown configuration key: " + name);
      }
    }
    return Optional.empty();
  }

  /** The first problem of a complete configuration, empty when it is valid. */
  public static Optional<String> validate(ObjectNode config) {
    try {
      check(config);
      return Optional.empty();
    } catch (Invalid e) {
      return Optional.of(e.getMessage());
    }
  }

  private static void check(ObjectNode c) {
    // Values that break loop_wait + 2 × retry_timeout ≤ ttl are stored as written: each agent
    // adjusts the values in force, with a warning, as Patroni does.
    integer(c, "ttl", Timings.MIN_TTL, Timings.DEFAULT_TTL);
    integer(c, "loop_wait", Timings.MIN_LOOP_WAIT, Timings.DEFAULT_LOOP_WAIT);
    integer(c, "retry_timeout", Timings.MIN_RETRY_TIMEOUT, Timings.DEFAULT_RETRY_TIMEOUT);
    integer(c, "maximum_lag_on_failover", 0, 0);
    integer(c, "maximum_lag_on_syncnode", -1, 0);
    integer(c, "max_timelines_history", 0, 0);
    integer(c, "primary_start_timeout", 0, 0);
    integer(c, "primary_stop_timeout", 0, 0);
    integer(c, "master_start_timeout", 0, 0);
    integer(c, "master_stop_timeout", 0, 0);
    integer(c, "synchronous_node_count", 1, 1);
    for (String b :
        new String[] {"check_timeline", "failsafe_mode", "pause", "synchronous_mode_strict"}) {
      bool(c, b, b);
    }
    JsonNode sync = c.get("synchronous_mode");
    if (sync != null
        && !sync.isNull()
        && !sync.isBoolean()
        && !(sync.isTextual() && sync.asText().equalsIgnoreCase("quorum"))) {
      throw new Invalid("synchronous_mode: must be true, false or \"quorum\"");
    }
    JsonNode slotsTtl = c.get("member_slots_ttl");
    if (slotsTtl != null && !slotsTtl.isNull()) {
      if (slotsTtl.isIntegralNumber() ? slotsTtl.asLong() < 0 : !slotsTtl.isTextual()) {
        throw new Invalid("member_slots_ttl: must be a duration (seconds, or e.g. \"30min\")");
      }
    }
    object(c, "standby_cluster");
    object(c, "slots");
    object(c, "citus");
    object(c, "regent");
    JsonNode ignore = c.get("ignore_slots");
    if (ignore != null && !ignore.isNull() && !ignore.isArray()) {
      throw new Invalid("ignore_slots: must be a list");
    }
    JsonNode pg = object(c, "postgresql");
    if (pg != null) {
      for (String b : POSTGRESQL_BOOLEANS) {
        bool(pg, b, "postgresql." + b);
      }
      JsonNode params = object(pg, "parameters", "postgresql.parameters");
      if (params != null) {
        for (Map.Entry<String, JsonNode> e : params.properties()) {
          JsonNode v = e.getValue();
          if (!v.isNull() && !v.isValueNode()) {
            throw new Invalid(
                "postgresql.parameters." + e.getKey() + ": must be a string, number or boolean");
          }
        }
      }
      object(pg, "recovery_conf", "postgresql.recovery_conf");
      JsonNode hba = pg.get("pg_hba");
      if (hba != null && !hba.isNull()) {
        if (!hba.isArray()) {
          throw new Invalid("postgresql.pg_hba: must be a list of lines");
        }
        for (JsonNode line : hba) {
          if (!line.isTextual()) {
            throw new Invalid("postgresql.pg_hba: must be a list of lines");
          }
        }
      }
    }
  }

  private static long integer(ObjectNode c, String key, long min, long fallback) {
    JsonNode n = c.get(key);
    if (n == null || n.isNull()) {
      return fallback;
    }
    long value;
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      value = n.asLong();
    } else if (n.isTextual() && n.asText().trim().matches("-?\\d{1,18}")) {
      value = Long.parseLong(n.asText().trim());
    } else {
      throw new Invalid(key + ": must be an integer, got " + describe(n));
    }
    if (value < min) {
      throw new Invalid(key + ": must be at least " + min + ", got " + value);
    }
    return value;
  }

  private static void bool(JsonNode c, String key, String name) {
    JsonNode n = c.get(key);
    if (n != null && !n.isNull() && !n.isBoolean()) {
      throw new Invalid(name + ": must be true or false, got " + describe(n));
    }
  }

  private static JsonNode object(JsonNode c, String key) {
    return object(c, key, key);
  }

  private static JsonNode object(JsonNode c, String key, String name) {
    JsonNode n = c.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw new Invalid(name + ": must be an object, got " + describe(n));
    }
    return n;
  }

  private static String describe(JsonNode n) {
    String text = n.toString();
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }

  private static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }
}
