package io.pgregent.core.dcs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Failsafe;
import io.pgregent.core.cluster.Initialize;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TakenTimeline;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.config.DynamicConfig;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the values of a cluster's keys in Patroni's formats. Values are written the way
 * Patroni writes them (compact JSON, plain strings for {@code leader} and {@code initialize});
 * every shape Patroni 3 and 4 accept is read. A value that cannot be read throws {@link
 * MalformedValueException}.
 */
public final class ClusterCodec {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ClusterCodec() {}

  /** A node factory for building documents to write. */
  public static JsonNodeFactory nodes() {
    return JSON.getNodeFactory();
  }

  // ---- reading ----

  public static Initialize initialize(RawNode node) {
    return new Initialize(node.value().trim(), node.version());
  }

  public static TakenTimeline takenTimeline(RawNode node) {
    try {
      long timeline = Long.parseLong(node.value().trim());
      if (timeline < 1) {
        throw new MalformedValueException("a timeline number is 1 or more, not " + timeline);
      }
      return new TakenTimeline(timeline, node.version());
    } catch (NumberFormatException e) {
      throw new MalformedValueException("not a timeline number: \"" + node.value().trim() + "\"");
    }
  }

  public static Leader leader(RawNode node) {
    String name = node.value().trim();
    if (name.isEmpty()) {
      throw new MalformedValueException("empty leader name");
    }
    return new Leader(name, node.version());
  }

  /** The {@code config} key; a malformed value (naming the key) makes the whole key malformed. */
  public static ClusterConfig config(RawNode node) {
    DynamicConfig.Result read = DynamicConfig.parse(object(node.value()));
    if (!read.valid()) {
      throw new MalformedValueException(read.firstError().orElseThrow());
    }
    return new ClusterConfig(read.config(), node.version());
  }

  public static Member member(String name, RawNode node) {
    String value = node.value().trim();
    if (value.startsWith("postgres")) {
      return new Member(name, node.version(), legacyMember(value));
    }
    return new Member(name, node.version(), object(value));
  }

  /** Agents before Patroni 1.0 wrote {@code conn_url?application_name=api_url}. */
  private static ObjectNode legacyMember(String value) {
    ObjectNode data = nodes().objectNode();
    int query = value.indexOf('?');
    data.put("conn_url", query < 0 ? value : value.substring(0, query));
    if (query >= 0) {
      for (String pair : value.substring(query + 1).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equals("application_name")) {
          data.put("api_url", URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return data;
  }

  public static Status status(RawNode node) {
    JsonNode json = parse(node.value());
    if (json.canConvertToLong()) {
      return new Status(json.asLong(), Map.of(), List.of(), node.version());
    }
    if (!json.isObject()) {
      throw new MalformedValueException("expected a JSON object or an LSN");
    }
    JsonNode optime = json.get("optime");
    if (optime == null || !optime.canConvertToLong()) {
      throw new MalformedValueException("no integer optime");
    }
    Map<String, Long> slots = new LinkedHashMap<>();
    JsonNode slotsNode = json.get("slots");
    if (slotsNode != null && slotsNode.isObject()) {
      slotsNode
          .properties()
          .forEach(
              e -> {
                if (e.getValue().canConvertToLong()) {
                  slots.put(e.getKey(), e.getValue().asLong());
                }
              });
    }
    List<String> retain = new ArrayList<>();
    JsonNode retainNode = json.get("retain_slots");
    if (retainNode != null && retainNode.isArray()) {
      retainNode.forEach(n -> retain.add(n.asText()));
    }
    return new Status(optime.asLong(), slots, retain, node.version());
  }

  /** The legacy {@code optime/leader} key: an LSN as a decimal string. */
  public static Status legacyOptime(RawNode node) {
    try {
      return new Status(Long.parseLong(node.value().trim()), Map.of(), List.of(), 0);
    } catch (NumberFormatException e) {
      throw new MalformedValueException("not an integer LSN");
    }
  }

  public static TimelineHistory history(RawNode node) {
    JsonNode json = parse(node.value());
    if (!json.isArray()) {
      throw new MalformedValueException("expected a JSON list");
    }
    List<TimelineHistory.Entry> entries = new ArrayList<>();
    for (JsonNode line : json) {
      if (!line.isArray()
          || line.size() < 2
          || !line.get(0).canConvertToLong()
          || !line.get(1).canConvertToLong()) {
        throw new MalformedValueException("history line is not [timeline, lsn, ...]: " + line);
      }
      entries.add(
          new TimelineHistory.Entry(
              line.get(0).asLong(),
              line.get(1).asLong(),
              textAt(line, 2),
              textAt(line, 3),
              textAt(line, 4)));
    }
    return new TimelineHistory(entries, node.version());
  }

  private static String textAt(JsonNode array, int index) {
    JsonNode n = array.get(index);
    return n == null || n.isNull() ? null : n.asText();
  }

  public static Failover failover(RawNode node) {
    String value = node.value().trim();
    if (value.isEmpty()) {
      return new Failover(null, null, null, node.version());
    }
    if (!value.startsWith("{")) {
      // legacy "leader:candidate"
      String[] parts = value.split(":", 2);
      return new Failover(
          blankToNull(parts[0]),
          parts.length > 1 ? blankToNull(parts[1]) : null,
          null,
          node.version());
    }
    ObjectNode json = object(value);
    OffsetDateTime scheduledAt = null;
    String scheduled = text(json, "scheduled_at");
    if (scheduled != null) {
      try {
        scheduledAt = OffsetDateTime.parse(scheduled);
      } catch (DateTimeParseException e) {
        throw new MalformedValueException("scheduled_at is not ISO 8601: " + scheduled);
      }
    }
    return new Failover(text(json, "leader"), text(json, "member"), scheduledAt, node.version());
  }

  public static SyncState sync(RawNode node) {
    ObjectNode json = object(node.value());
    String standbys = text(json, "sync_standby");
    List<String> names =
        standbys == null || standbys.isBlank()
            ? List.of()
            : Arrays.stream(standbys.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    JsonNode quorum = json.get("quorum");
    return new SyncState(
        text(json, "leader"),
        names,
        quorum != null && quorum.canConvertToInt() ? quorum.asInt() : null,
        node.version());
  }

  public static Failsafe failsafe(RawNode node) {
    ObjectNode json = object(node.value());
    Map<String, String> members = new LinkedHashMap<>();
    json.properties().forEach(e -> members.put(e.getKey(), e.getValue().asText()));
    return new Failsafe(members, node.version());
  }

  // ---- writing ----

  /** Compact JSON, the separators Patroni writes. */
  public static String json(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String encode(Member member) {
    return json(member.data());
  }

  public static String encode(ClusterConfig config) {
    return json(config.data());
  }

  public static String encodeStatus(long optime, Map<String, Long> slots, List<String> retain) {
    ObjectNode json = nodes().objectNode();
    json.put("optime", optime);
    if (!slots.isEmpty()) {
      ObjectNode s = json.putObject("slots");
      slots.forEach(s::put);
    }
    if (!retain.isEmpty()) {
      ArrayNode r = json.putArray("retain_slots");
      retain.forEach(r::add);
    }
    return json(json);
  }

  public static String encode(TimelineHistory history) {
    ArrayNode lines = nodes().arrayNode();
    for (TimelineHistory.Entry e : history.entries()) {
      ArrayNode line = lines.addArray().add(e.timeline()).add(e.switchLsn()).add(e.reason());
      if (e.timestamp() != null || e.newLeader() != null) {
        // Positional: a new leader without a known time keeps its place after a null.
        line.add(e.timestamp());
        if (e.newLeader() != null) {
          line.add(e.newLeader());
        }
      }
    }
    return json(lines);
  }

  /** {@code {}} for an empty request, as Patroni clears the key. */
  public static String encode(Failover failover) {
    ObjectNode json = nodes().objectNode();
    if (failover.leader() != null) {
      json.put("leader", failover.leader());
    }
    if (failover.candidate() != null) {
      json.put("member", failover.candidate());
    }
    if (failover.scheduledAt() != null) {
      json.put("scheduled_at", failover.scheduledAt().toString());
    }
    return json(json);
  }

  public static String encode(SyncState sync) {
    ObjectNode json = nodes().objectNode();
    json.put("leader", sync.leader());
    if (sync.quorum() != null) {
      json.put("quorum", sync.quorum());
    }
    if (sync.syncStandbys().isEmpty()) {
      json.putNull("sync_standby");
    } else {
      json.put("sync_standby", String.join(",", sync.syncStandbys()));
    }
    return json(json);
  }

  public static String encode(Failsafe failsafe) {
    ObjectNode json = nodes().objectNode();
    failsafe.members().forEach(json::put);
    return json(json);
  }

  // ---- helpers ----

  /** Parses a JSON object; anything else is malformed. */
  public static ObjectNode object(String value) {
    JsonNode json = parse(value);
    if (!json.isObject()) {
      throw new MalformedValueException("expected a JSON object");
    }
    return (ObjectNode) json;
  }

  private static JsonNode parse(String value) {
    try {
      JsonNode json = JSON.readTree(value);
      if (json == null || json.isMissingNode()) {
        throw new MalformedValueException("empty value");
      }
      return json;
    } catch (JsonProcessingException e) {
      throw new MalformedValueException("not JSON: " + e.getOriginalMessage());
    }
  }

  private static String text(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
