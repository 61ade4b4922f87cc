package io.pgregent.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.config.DynamicConfig.Postgresql;
import io.pgregent.core.config.DynamicConfig.Result;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.SyncSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reading of a dynamic configuration document for {@link DynamicConfig#parse}: the keys each
 * section knows, their defaults and ranges, and Patroni's adjustment of timings that do not fit.
 */
final class DynamicConfigReader extends ValueReader {

  /** Keys Patroni or Regent know at the top level; others are passed on with a warning. */
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
          "primary_race_backoff",
          "synchronous_mode",
          "synchronous_mode_strict",
          "synchronous_node_count",
          "failsafe_mode",
          "check_timeline",
          "pause",
          "postgresql",
          "standby_cluster",
          "slots",
          "permanent_slots",
          "permanent_replication_slots",
          "ignore_slots",
          "member_slots_ttl",
          "citus",
          "regent");

  /** Keys Patroni knows in the dynamic {@code postgresql} section. */
  static final Set<String> STANDBY_CLUSTER_KNOWN =
      Set.of(
          "host",
          "port",
          "primary_slot_name",
          "create_replica_methods",
          "restore_command",
          "archive_cleanup_command",
          "recovery_min_apply_delay");

  /** Keys Patroni knows in the dynamic {@code postgresql} section. */
  static final Set<String> POSTGRESQL_KNOWN =
      Set.of(
          "use_pg_rewind",
          "use_slots",
          "remove_data_directory_on_rewind_failure",
          "remove_data_directory_on_diverged_timelines",
          "parameters",
          "parameters_primary",
          "parameters_replica",
          "parameters_standby_leader",
          "recovery_conf",
          "pg_hba",
          "pg_hba_primary",
          "pg_hba_replica",
          "pg_hba_standby_leader",
          "pg_ident",
          "pg_ident_primary",
          "pg_ident_replica",
          "pg_ident_standby_leader");

  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|min|h|d)?");

  Result read(ObjectNode c) {
    long ttl = whole(c, "ttl", Timings.MIN_TTL, DynamicConfig.MAX_SECONDS, Timings.DEFAULT_TTL);
    long loopWait =
        whole(
            c,
            "loop_wait",
            Timings.MIN_LOOP_WAIT,
            DynamicConfig.MAX_SECONDS,
            Timings.DEFAULT_LOOP_WAIT);
    long retry =
        whole(
            c,
            "retry_timeout",
            Timings.MIN_RETRY_TIMEOUT,
            DynamicConfig.MAX_SECONDS,
            Timings.DEFAULT_RETRY_TIMEOUT);
    belowPatroni(c, "ttl", ttl, Timings.PATRONI_MIN_TTL);
    belowPatroni(c, "retry_timeout", retry, Timings.PATRONI_MIN_RETRY_TIMEOUT);
    Timings timings = Timings.adjust(ttl, loopWait, retry);
    timings.warning().ifPresent(w -> warn("ttl", w));

    long lagOnFailover =
        whole(
            c,
            "maximum_lag_on_failover",
            0,
            Long.MAX_VALUE,
            DynamicConfig.DEFAULT_MAXIMUM_LAG_ON_FAILOVER);
    long lagOnSyncnode = whole(c, "maximum_lag_on_syncnode", -1, Long.MAX_VALUE, -1);
    int timelines = (int) whole(c, "max_timelines_history", 0, Integer.MAX_VALUE, 0);
    int startTimeout =
        renamed(
            c,
            "primary_start_timeout",
            "master_start_timeout",
            DynamicConfig.DEFAULT_PRIMARY_START_TIMEOUT);
    int stopTimeout = renamed(c, "primary_stop_timeout", "master_stop_timeout", 0);
    whole(c, "primary_race_backoff", 0, Integer.MAX_VALUE, 0);
    int nodeCount = (int) whole(c, "synchronous_node_count", 1, Integer.MAX_VALUE, 1);

    SyncSettings.Mode mode = syncMode(c);
    boolean strict = bool(c, "synchronous_mode_strict", false);
    boolean failsafe = bool(c, "failsafe_mode", false);
    boolean checkTimeline = bool(c, "check_timeline", false);
    boolean pause = bool(c, "pause", false);
    int memberSlotsTtl = memberSlotsTtl(c);
    Postgresql pg = postgresql(c);
    Optional<ObjectNode> standby = standbyCluster(c);
    Map<String, JsonNode> slots = slots(c);
    List<JsonNode> ignore = ignoreSlots(c);
    c.fieldNames()
        .forEachRemaining(
            k -> {
              if (!KNOWN.contains(k)) {
                warn(k, "unknown key: stored and passed on as written");
              }
            });

    DynamicConfig config =
        new DynamicConfig(
            c,
            timings,
            lagOnFailover,
            lagOnSyncnode,
            timelines,
            startTimeout,
            stopTimeout,
            mode,
            strict,
            nodeCount,
            failsafe,
            checkTimeline,
            pause,
            pg,
            standby,
            slots,
            ignore,
            memberSlotsTtl);
    return new Result(config, errors, warnings);
  }

  private void belowPatroni(ObjectNode c, String key, long value, int patroniMin) {
    if (present(c.get(key)) && value < patroniMin) {
      warn(
          key,
          value
              + " is below Patroni's minimum of "
              + patroniMin
              + " (Patroni would raise it to "
              + patroniMin
              + "; Regent uses it as written)");
    }
  }

  private int renamed(ObjectNode c, String key, String old, int fallback) {
    if (present(c.get(old))) {
      if (present(c.get(key))) {
        warn(old, "ignored: " + key + " is also set");
      } else {
        warn(old, "deprecated: renamed " + key + "; the value is used as that");
      }
    }
    long oldValue = whole(c, old, 0, Integer.MAX_VALUE, fallback);
    return (int) (present(c.get(key)) ? whole(c, key, 0, Integer.MAX_VALUE, fallback) : oldValue);
  }

  private SyncSettings.Mode syncMode(ObjectNode c) {
    JsonNode n = c.get("synchronous_mode");
    if (!present(n)) {
      return SyncSettings.Mode.OFF;
    }
    if (n.isTextual() && n.asText().strip().equalsIgnoreCase("quorum")) {
      return SyncSettings.Mode.QUORUM;
    }
    Boolean on = parseBool(n);
    if (on == null) {
      error("synchronous_mode", "expected on, off or quorum, not " + describe(n));
      return SyncSettings.Mode.OFF;
    }
    return on ? SyncSettings.Mode.ON : SyncSettings.Mode.OFF;
  }

  private int memberSlotsTtl(ObjectNode c) {
    String key = "member_slots_ttl";
    JsonNode n = c.get(key);
    if (!present(n)) {
      return DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL;
    }
    if (n.isIntegralNumber() || n.isFloatingPointNumber()) {
      return (int) whole(c, key, 0, Integer.MAX_VALUE, DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL);
    }
    Matcher m = n.isTextual() ? DURATION.matcher(n.asText().strip()) : null;
    if (m == null || !m.matches()) {
      error(key, "expected a duration (seconds, or e.g. 30min, 2h), not " + describe(n));
      return DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL;
    }
    long v = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    long seconds =
        switch (unit) {
          case "ms" -> Math.round(v / 1000.0);
          case "min" -> v * 60;
          case "h" -> v * 3600;
          case "d" -> v * 86400;
          default -> v;
        };
    if (seconds > Integer.MAX_VALUE) {
      error(key, "must be at most " + Integer.MAX_VALUE + " seconds, not " + describe(n));
      return DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL;
    }
    return (int) seconds;
  }

  private Postgresql postgresql(ObjectNode c) {
    ObjectNode pg = object(c, "postgresql", "postgresql");
    if (pg == null) {
      return Postgresql.DEFAULTS;
    }
    // Patroni reads these three by truthiness ("false" would be on), use_slots as a boolean
    // in any form: only JSON booleans mean the same to both.
    Boolean rewind = strictBool(pg, "use_pg_rewind");
    boolean useSlots = bool(pg, "postgresql", "use_slots", true);
    strictBool(pg, "remove_data_directory_on_rewind_failure");
    strictBool(pg, "remove_data_directory_on_diverged_timelines");
    Map<String, Object> parameters = parameters(pg, "parameters");
    for (String role : List.of("primary", "replica", "standby_leader")) {
      parameters(pg, "parameters_" + role);
    }
    ObjectNode recovery = object(pg, "recovery_conf", "postgresql.recovery_conf");
    Map<String, Object> recoveryConf = new LinkedHashMap<>();
    if (recovery != null) {
      recovery.properties().forEach(e -> recoveryConf.put(e.getKey(), scalar(e.getValue())));
    }
    pg.fieldNames()
        .forEachRemaining(
            k -> {
              if (!POSTGRESQL_KNOWN.contains(k)) {
                warn("postgresql." + k, "unknown key: stored and passed on as written");
              }
            });
    List<String> hba = lines(pg, "pg_hba");
    List<String> ident = lines(pg, "pg_ident");
    return new Postgresql(rewind, useSlots, parameters, hba, ident, recoveryConf);
  }

  private Boolean strictBool(ObjectNode pg, String field) {
    JsonNode n = pg.get(field);
    if (!present(n)) {
      return null;
    }
    if (!n.isBoolean()) {
      error("postgresql." + field, "expected true or false, not " + describe(n));
      return null;
    }
    return n.booleanValue();
  }

  private Map<String, Object> parameters(ObjectNode pg, String field) {
    String key = "postgresql." + field;
    ObjectNode params = object(pg, field, key);
    Map<String, Object> out = new LinkedHashMap<>();
    if (params == null) {
      return out;
    }
    for (Map.Entry<String, JsonNode> e : params.properties()) {
      JsonNode v = e.getValue();
      if (v.isNull()) {
        continue;
      }
      if (!v.isValueNode()) {
        error(key + "." + e.getKey(), "expected a string, number or boolean, not " + describe(v));
        continue;
      }
      out.put(e.getKey(), scalar(v));
    }
    return out;
  }

  private List<String> lines(ObjectNode pg, String field) {
    String key = "postgresql." + field;
    JsonNode n = pg.get(field);
    if (!present(n)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (n.isArray()) {
      for (JsonNode line : n) {
        if (!line.isTextual()) {
          error(key, "expected a list of lines, found " + describe(line));
          return List.of();
        }
        out.add(line.asText());
      }
      return out;
    }
    error(key, "expected a list of lines, not " + describe(n));
    return List.of();
  }

  private Optional<ObjectNode> standbyCluster(ObjectNode c) {
    ObjectNode s = object(c, "standby_cluster", "standby_cluster");
    if (s == null) {
      return Optional.empty();
    }
    for (String f :
        List.of(
            "host",
            "primary_slot_name",
            "restore_command",
            "archive_cleanup_command",
            "recovery_min_apply_delay")) {
      JsonNode v = s.get(f);
      if (present(v) && !v.isValueNode()) {
        error("standby_cluster." + f, "expected a string, not " + describe(v));
      }
    }
    if (present(s.get("port"))) {
      whole(s, "standby_cluster.", "port", 1, 65535, 5432);
    }
    JsonNode methods = s.get("create_replica_methods");
    if (present(methods) && !methods.isArray()) {
      error("standby_cluster.create_replica_methods", "expected a list, not " + describe(methods));
    } else if (present(methods)) {
      for (JsonNode m : methods) {
        if (!m.isTextual() || m.asText().isBlank()) {
          error(
              "standby_cluster.create_replica_methods",
              "expected a list of method names, found " + describe(m));
        }
      }
    }
    s.fieldNames()
        .forEachRemaining(
            k -> {
              if (!STANDBY_CLUSTER_KNOWN.contains(k)) {
                warn("standby_cluster." + k, "unknown key: stored and passed on as written");
              }
            });
    return Optional.of(s);
  }

  private Map<String, JsonNode> slots(ObjectNode c) {
    Map<String, JsonNode> chosen = null;
    for (String key : List.of("permanent_replication_slots", "permanent_slots", "slots")) {
      ObjectNode slots = object(c, key, key);
      if (slots == null) {
        continue;
      }
      Map<String, JsonNode> read = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : slots.properties()) {
        String name = key + "." + e.getKey();
        JsonNode slot = e.getValue();
        if (slot.isNull()
            || slot.isValueNode()
                && (slot.asText().isEmpty()
                    || slot.isNumber() && slot.asDouble() == 0
                    || slot.isBoolean() && !slot.asBoolean())) {
          // As with Patroni, an empty value (null, 0, "", false) is a physical slot.
          read.put(e.getKey(), JsonNodeFactory.instance.objectNode());
          continue;
        }
        if (!slot.isObject()) {
          error(name, "expected an object (type: physical or logical …), not " + describe(slot));
          continue;
        }
        JsonNode type = slot.get("type");
        String t = present(type) ? type.asText() : "physical";
        if (present(type) && !type.isTextual() || !t.equals("physical") && !t.equals("logical")) {
          error(name + ".type", "expected physical or logical, not " + describe(type));
          continue;
        }
        if (t.equals("logical")) {
          boolean ok = true;
          for (String f : List.of("database", "plugin")) {
            JsonNode v = slot.get(f);
            if (!present(v) || !v.isTextual() || v.asText().isBlank()) {
              error(name + "." + f, "required for a logical slot");
              ok = false;
            }
          }
          if (!ok) {
            continue;
          }
        }
        read.put(e.getKey(), slot);
      }
      if (chosen == null && !read.isEmpty()) {
        chosen = read;
      }
    }
    return chosen == null ? Map.of() : chosen;
  }

  private List<JsonNode> ignoreSlots(ObjectNode c) {
    JsonNode n = c.get("ignore_slots");
    if (!present(n)) {
      return List.of();
    }
    if (!n.isArray()) {
      error("ignore_slots", "expected a list of matchers (name, type, database, plugin)");
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode m : n) {
      if (!m.isObject()) {
        error("ignore_slots", "expected a list of matchers, found " + describe(m));
        return List.of();
      }
      out.add(m);
    }
    return out;
  }
}
