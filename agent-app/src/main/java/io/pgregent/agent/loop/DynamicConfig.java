package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.SyncSettings;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The cluster-wide configuration in force: the store's {@code config} key, or {@code bootstrap.dcs}
 * until the cluster has one. Patroni's defaults apply to absent keys; the timings are those in
 * force (see {@link Timings}), the document stays as written.
 */
record DynamicConfig(ObjectNode data) {

  /** ttl, loop_wait and retry_timeout in force: as written, adjusted to fit together. */
  Timings timings() {
    return Timings.of(data);
  }

  int ttl() {
    return timings().ttl();
  }

  int loopWait() {
    return timings().loopWait();
  }

  int retryTimeout() {
    return timings().retryTimeout();
  }

  long maximumLagOnFailover() {
    JsonNode n = data.get("maximum_lag_on_failover");
    return n != null && n.canConvertToLong() ? n.asLong() : 1_048_576L;
  }

  int primaryStartTimeout() {
    if (data.has("primary_start_timeout")) {
      return intValue("primary_start_timeout", 300);
    }
    return intValue("master_start_timeout", 300);
  }

  /** How long the slot of an absent member is kept (Patroni 4: 30 min). */
  int memberSlotsTtl() {
    JsonNode n = data.get("member_slots_ttl");
    if (n == null) {
      return 1800;
    }
    if (n.canConvertToInt()) {
      return n.asInt();
    }
    String text = n.asText().trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (text.endsWith("min")) {
        return Integer.parseInt(text.substring(0, text.length() - 3).trim()) * 60;
      }
      if (text.endsWith("h")) {
        return Integer.parseInt(text.substring(0, text.length() - 1).trim()) * 3600;
      }
      if (text.endsWith("s")) {
        return Integer.parseInt(text.substring(0, text.length() - 1).trim());
      }
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      return 1800;
    }
  }

  boolean checkTimeline() {
    return data.path("check_timeline").asBoolean(false);
  }

  boolean paused() {
    return data.path("pause").asBoolean(false);
  }

  boolean failsafeMode() {
    return data.path("failsafe_mode").asBoolean(false);
  }

  HaSettings haSettings(String member, Tags tags) {
    return new HaSettings(
        member,
        ttl() * 1000L,
        loopWait() * 1000L,
        retryTimeout() * 1000L,
        maximumLagOnFailover(),
        checkTimeline(),
        primaryStartTimeout() * 1000L,
        paused(),
        failsafeMode(),
        tags.nofailover(),
        tags.failoverPriority(),
        sync());
  }

  /** {@code synchronous_mode} (true, on or quorum) and the settings that go with it. */
  SyncSettings sync() {
    JsonNode m = data.get("synchronous_mode");
    SyncSettings.Mode mode = SyncSettings.Mode.OFF;
    if (m != null && m.isTextual() && m.asText().trim().equalsIgnoreCase("quorum")) {
      mode = SyncSettings.Mode.QUORUM;
    } else if (m != null
        && (m.asBoolean(false)
            || java.util.Set.of("on", "true", "yes")
                .contains(m.asText().trim().toLowerCase(java.util.Locale.ROOT)))) {
      mode = SyncSettings.Mode.ON;
    }
    JsonNode lag = data.get("maximum_lag_on_syncnode");
    return new SyncSettings(
        mode,
        intValue("synchronous_node_count", 1),
        data.path("synchronous_mode_strict").asBoolean(false),
        lag != null && lag.canConvertToLong() ? lag.asLong() : -1);
  }

  DynamicPostgresConfig postgres() {
    JsonNode pg = data.path("postgresql");
    Map<String, Object> parameters = new LinkedHashMap<>();
    pg.path("parameters")
        .properties()
        .forEach(
            e -> {
              JsonNode v = e.getValue();
              parameters.put(
                  e.getKey(),
                  v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText());
            });
    Boolean rewind = pg.has("use_pg_rewind") ? pg.path("use_pg_rewind").asBoolean() : null;
    boolean useSlots = pg.path("use_slots").asBoolean(true);
    Set<String> slots = new LinkedHashSet<>();
    JsonNode permanent = data.has("slots") ? data.get("slots") : data.path("permanent_slots");
    permanent
        .properties()
        .forEach(
            e -> {
              if (!e.getValue().path("type").asText("physical").equals("logical")) {
                slots.add(e.getKey());
              }
            });
    return new DynamicPostgresConfig(parameters, rewind, useSlots, slots);
  }

  private int intValue(String key, int fallback) {
    JsonNode n = data.get(key);
    if (n == null) {
      return fallback;
    }
    if (n.canConvertToInt()) {
      return n.asInt();
    }
    try {
      return Integer.parseInt(n.asText().trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
