package io.pgregent.core.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code members/<name>} document. The JSON is kept whole so that fields written by other
 * agents (Patroni or newer Regent) survive a read and are shown as they are.
 *
 * @param name the member name (the last path element of the key)
 * @param version the store's version of the key, used for nothing but diagnostics
 * @param data the document as stored
 */
public record Member(String name, long version, ObjectNode data) {

  public Member {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(data, "data");
  }

  /** A member document built by this agent, not yet stored. */
  public static Member of(String name, ObjectNode data) {
    return new Member(name, 0, data);
  }

  public Optional<String> connUrl() {
    return text("conn_url");
  }

  public Optional<String> apiUrl() {
    return text("api_url");
  }

  public Optional<String> state() {
    return text("state");
  }

  /** The role with Patroni 3's {@code master} read as {@code primary}. */
  public Optional<String> role() {
    return text("role").map(r -> r.equals("master") ? "primary" : r);
  }

  /** The Patroni version the member's agent implements. */
  public Optional<String> patroniVersion() {
    return text("version");
  }

  public Optional<Long> xlogLocation() {
    return number("xlog_location");
  }

  public Optional<Long> timeline() {
    return number("timeline");
  }

  public Map<String, JsonNode> tags() {
    Map<String, JsonNode> tags = new LinkedHashMap<>();
    JsonNode node = data.get("tags");
    if (node != null && node.isObject()) {
      node.properties().forEach(e -> tags.put(e.getKey(), e.getValue()));
    }
    return tags;
  }

  private Optional<String> text(String field) {
    JsonNode node = data.get(field);
    return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
  }

  private Optional<Long> number(String field) {
    JsonNode node = data.get(field);
    return node != null && node.canConvertToLong() ? Optional.of(node.asLong()) : Optional.empty();
  }
}
