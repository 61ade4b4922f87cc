package io.pgregent.dcs.consul;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.DcsException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Consul's JSON: the requests we send and the answers we read. No IO. */
final class ConsulJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ConsulJson() {}

  /**
   * One KV entry as {@code GET /v1/kv/...} lists it.
   *
   * @param key the full key, without a leading slash
   * @param value the value as text ({@code ""} when Consul stores none)
   * @param modifyIndex the index of its last write: the version compare-and-set uses
   * @param session the session holding its lock, or null
   */
  record KvEntry(String key, String value, long modifyIndex, String session) {}

  /** The entries of a KV read; an empty body (a 404's) is no entries. */
  static List<KvEntry> kvEntries(String body) {
    List<KvEntry> entries = new ArrayList<>();
    if (body == null || body.isBlank()) {
      return entries;
    }
    JsonNode root = parse(body, "KV entries");
    if (!root.isArray()) {
      throw new DcsException("consul: KV answer is not a list: " + abbreviate(body));
    }
    for (JsonNode e : root) {
      JsonNode value = e.get("Value");
      String text =
          value == null || value.isNull()
              ? ""
              : new String(Base64.getDecoder().decode(value.asText()), StandardCharsets.UTF_8);
      JsonNode session = e.get("Session");
      entries.add(
          new KvEntry(
              e.path("Key").asText(),
              text,
              e.path("ModifyIndex").asLong(),
              session == null || session.isNull() || session.asText().isEmpty()
                  ? null
                  : session.asText()));
    }
    return entries;
  }

  /** The answer of a KV write or a delete with {@code cas}: {@code true} or {@code false}. */
  static boolean bool(String body) {
    String b = body == null ? "" : body.trim();
    if (b.equals("true")) {
      return true;
    }
    if (b.equals("false")) {
      return false;
    }
    throw new DcsException("consul: expected true or false, got " + abbreviate(body));
  }

  /**
   * The body of {@code PUT /v1/session/create}: named {@code <scope>-<name>}, TTL half of ttl
   * (Consul's own minimum 10 s), a lock-delay of 1 ms so a lapsed leader's key can be taken at
   * once, and {@code delete} so keys bound to a lapsed session disappear rather than linger
   * unlocked. Without {@code checks} Consul binds the session to the node's {@code serfHealth}.
   */
  static String sessionCreate(String name, Duration ttl, List<String> checks) {
    ObjectNode body = JSON.createObjectNode();
    body.put("Name", name);
    body.put("TTL", ConsulTimeouts.goDuration(ttl));
    body.put("LockDelay", "1ms");
    body.put("Behavior", "delete");
    if (checks != null) {
      ArrayNode a = body.putArray("Checks");
      checks.forEach(a::add);
    }
    return body.toString();
  }

  /** The ID in the answer of {@code PUT /v1/session/create}. */
  static String sessionId(String body) {
    JsonNode id = parse(body, "session").get("ID");
    if (id == null || id.asText().isEmpty()) {
      throw new DcsException("consul: session create answered without ID: " + abbreviate(body));
    }
    return id.asText();
  }

  /**
   * The service registration body for {@code PUT /v1/agent/service/register}.
   *
   * @param registration what to register
   */
  static String serviceRegister(ServiceRegistration registration) {
    ObjectNode body = JSON.createObjectNode();
    body.put("ID", registration.id());
    body.put("Name", registration.name());
    ArrayNode tags = body.putArray("Tags");
    registration.tags().forEach(tags::add);
    if (registration.address() != null) {
      body.put("Address", registration.address());
    }
    if (registration.port() > 0) {
      body.put("Port", registration.port());
    }
    body.put("EnableTagOverride", true);
    ObjectNode check = body.putObject("Check");
    check.put("HTTP", registration.checkUrl());
    check.put("Interval", registration.checkInterval());
    check.put("DeregisterCriticalServiceAfter", registration.deregisterAfter());
    if (registration.tlsServerName() != null) {
      check.put("TLSServerName", registration.tlsServerName());
    }
    return body.toString();
  }

  /**
   * What the member registers as a service.
   *
   * @param id {@code <scope>/<name>}
   * @param name the service name, from the scope
   * @param tags the extra tags and the role
   * @param address PostgreSQL's host
   * @param port PostgreSQL's port, 0 if unknown
   * @param checkUrl the REST API URL Consul checks, answering 200 while the role holds
   * @param checkInterval how often, e.g. {@code 5s}
   * @param deregisterAfter how long a critical check may last before Consul drops the service
   * @param tlsServerName the name the HTTPS check verifies, or null
   */
  record ServiceRegistration(
      String id,
      String name,
      List<String> tags,
      String address,
      int port,
      String checkUrl,
      String checkInterval,
      String deregisterAfter,
      String tlsServerName) {}

  private static JsonNode parse(String body, String what) {
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new DcsException("consul: malformed " + what + " answer: " + abbreviate(body), e);
    }
  }

  static String abbreviate(String s) {
    if (s == null) {
      return "(none)";
    }
    String one = s.replace('\n', ' ').trim();
    return one.length() > 200 ? one.substring(0, 200) + "…" : one;
  }
}
