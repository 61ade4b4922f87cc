package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Random, malformed and some valid requests for every endpoint. Each request to change the dynamic
 * configuration says whether it is a valid edit: the test checks that the stored configuration
 * changes through those and through nothing else. Other bodies are never acceptable (malformed, not
 * an object, or with at least one invalid entry). Seeded: a failure prints the seed and the
 * request.
 */
final class RestFuzz {

  static final List<String> HEALTH_PATHS = HealthCheckObservations.HEALTH_CHECK_PATHS;

  /** Endpoints that take a body (POST, PATCH, PUT), and their neighbours. */
  static final List<String> BODY_PATHS =
      List.of(
          "/config",
          "/config",
          "/config",
          "/config",
          "/config",
          "/switchover",
          "/failover",
          "/restart",
          "/reinitialize",
          "/reload",
          "/failsafe");

  static final List<String> OTHER_PATHS =
      List.of(
          "/cluster",
          "/history",
          "/metrics",
          "/actuator/health",
          "/actuator/health/liveness",
          "/actuator/health/readiness",
          "/actuator/prometheus",
          "/nonexistent",
          "/config/",
          "//config",
          "/patroni/x");

  static final List<String> METHODS =
      List.of("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "BREW");
  private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

  /** Endpoints where a request with no body is a valid one (Patroni's optional bodies). */
  private static final Set<String> ACTIONS =
      Set.of("/restart", "/reinitialize", "/switchover", "/failover", "/failsafe", "/reload");

  /** Dynamic configuration entries that are valid, in Patroni's value forms, and harmless here. */
  private static final List<String> GOOD_CONFIG =
      List.of(
          "\"maximum_lag_on_failover\": 1048576",
          "\"maximum_lag_on_failover\": \"2097152\"",
          "\"max_timelines_history\": 0",
          "\"max_timelines_history\": \"100\"",
          "\"check_timeline\": \"off\"",
          "\"check_timeline\": false",
          "\"synchronous_mode\": false",
          "\"synchronous_mode\": \"off\"",
          "\"synchronous_node_count\": \"1\"",
          "\"member_slots_ttl\": \"30min\"",
          "\"member_slots_ttl\": 1800",
          "\"pause\": false",
          "\"pause\": \"no\"",
          "\"primary_start_timeout\": \"300\"",
          "\"ignore_slots\": []",
          "\"postgresql\": {\"parameters\": {\"work_mem\": \"4MB\"}}",
          "\"postgresql\": {\"parameters\": {\"work_mem\": null}}",
          "\"postgresql\": {\"use_slots\": \"on\"}",
          "\"fuzz_unknown\": {\"kept\": [1, \"two\", null]}",
          "\"fuzz_note\": \"%s%s%n\"",
          "\"fuzz_note\": null");

  /** Dynamic configuration entries that are invalid whatever else the document holds. */
  private static final List<String> BAD_CONFIG =
      List.of(
          "\"ttl\": \"abc\"",
          "\"ttl\": 4",
          "\"ttl\": 1.5",
          "\"ttl\": []",
          "\"ttl\": {}",
          "\"ttl\": true",
          "\"ttl\": 99999999999",
          "\"loop_wait\": 0",
          "\"loop_wait\": -1",
          "\"retry_timeout\": -3",
          "\"maximum_lag_on_failover\": -1",
          "\"maximum_lag_on_failover\": \"lots\"",
          "\"maximum_lag_on_failover\": 9223372036854775808",
          "\"pause\": \"perhaps\"",
          "\"pause\": {\"loop_wait\": 1.5}",
          "\"pause\": 2",
          "\"check_timeline\": []",
          "\"synchronous_mode\": \"sometimes\"",
          "\"synchronous_node_count\": 0",
          "\"failsafe_mode\": \"%s%s%n\"",
          "\"failsafe_mode\": []",
          "\"member_slots_ttl\": \"soon\"",
          "\"postgresql\": \"text\"",
          "\"postgresql\": 5",
          "\"postgresql\": {\"parameters\": []}",
          "\"postgresql\": {\"use_slots\": \"x\"}",
          "\"postgresql\": {\"use_pg_rewind\": \"false\"}",
          "\"postgresql\": {\"parameters\": {\"a\": {}}}",
          "\"postgresql\": {\"pg_hba\": \"host all all all trust\"}",
          "\"standby_cluster\": \"primary\"",
          "\"standby_cluster\": {\"port\": \"x\"}",
          "\"slots\": {\"s\": 1}",
          "\"permanent_slots\": {\"s\": {\"type\": \"other\"}}",
          "\"ignore_slots\": {\"name\": \"x\"}",
          "\"primary_start_timeout\": \"later\"");

  /** Entries the action endpoints refuse. */
  private static final List<String> BAD_ACTION =
      List.of(
          "\"role\": \"boss\"",
          "\"timeout\": -1",
          "\"timeout\": \"abc\"",
          "\"postgres_version\": \"x.y\"",
          "\"schedule\": 12",
          "\"schedule\": \"yesterday\"",
          "\"restart_pending\": \"maybe\"",
          "\"force\": \"yes\"",
          "\"from_leader\": 3",
          "\"leader\": 7",
          "\"candidate\": []",
          "\"member\": {}",
          "\"scheduled_at\": 5",
          "\"leader\": \"nobody\", \"candidate\": 1");

  private static final List<String> OK_ACTION =
      List.of(
          "\"leader\": \"nobody\"",
          "\"candidate\": \"ghost\"",
          "\"role\": \"replica\"",
          "\"force\": false");

  private static final List<String> NOT_OBJECTS =
      List.of(
          "[]",
          "[{}]",
          "1",
          "-0.5e9",
          "\"{}\"",
          "null",
          "true",
          "{\"a\":1}{",
          "{\"a\" 1}",
          "{'ttl': 30}",
          "{\"ttl\": 30,}",
          "{\"ttl\": 3\u0000}",
          "\u00ff\u00fe{}",
          "{\"a\":1,\"a\":2, \"zzz\": 0}",
          "ttl: 30\nloop_wait: 10\n",
          "---\npostgresql:\n  parameters: {work_mem: 4MB}\n",
          "pause: true",
          "- ttl: 30",
          "[".repeat(500) + "]".repeat(500),
          "{\"a\":".repeat(200) + "1" + "}".repeat(200),
          "{\"ttl\": 1e999999}",
          "{\"ttl\": 123456789012345678901234567890}");

  private static final List<String> QUERY_PARTS =
      List.of(
          "lag=",
          "lag=1",
          "lag=10kB",
          "lag=-5",
          "lag=99999999999999999999",
          "lag=1TB",
          "lag=abc",
          "tag_zone=eu-1",
          "tag_=",
          "tag_%00=%ff",
          "mode=write",
          "mode=bogus",
          "replication_state=streaming",
          "a=%",
          "%zz",
          "=&=",
          "lag",
          "&&&",
          "x=" + "y".repeat(3000),
          "lag=%31%30",
          "tag_zone=%E2%82%AC");

  /** What a request to change the configuration is, by construction. */
  enum Edit {
    /** Not a PATCH or PUT of {@code /config} with a well-formed request. */
    NONE,
    /** A valid edit, sent authenticated as JSON: it must be applied. */
    VALID,
    /** An edit with a malformed value: it must be refused and change nothing. */
    INVALID
  }

  record Request(
      String method,
      String path,
      String target,
      Map<String, String> headers,
      byte[] body,
      boolean contentLength,
      Edit edit) {
    String describe() {
      String text =
          body == null
              ? "null"
              : new String(body, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
      return method
          + " "
          + (target.length() > 200 ? target.substring(0, 200) + "…" : target)
          + " headers="
          + headers
          + " body="
          + (text.length() > 300 ? text.substring(0, 300) + "… (" + body.length + " bytes)" : text)
          + (contentLength ? "" : " (no Content-Length)");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Random random;

  RestFuzz(long seed) {
    this.random = new Random(seed);
  }

  static boolean isHealthCheck(String path) {
    return HEALTH_PATHS.contains(path) || path.startsWith("/actuator/health");
  }

  /**
   * The next request.
   *
   * @param stored the configuration as stored now: valid PUTs change a few of its keys
   */
  Request next(ObjectNode stored) {
    int kind = random.nextInt(10);
    String path = kind < 3 ? pick(HEALTH_PATHS) : kind < 8 ? pick(BODY_PATHS) : pick(OTHER_PATHS);
    String method;
    if (path.equals("/config") && random.nextInt(4) != 0) {
      method = random.nextBoolean() ? "PATCH" : "PUT";
    } else if (BODY_PATHS.contains(path) && random.nextInt(3) != 0) {
      method = random.nextInt(4) == 0 ? "DELETE" : "POST";
    } else {
      method = random.nextInt(4) == 0 ? pick(List.of("GET", "HEAD", "OPTIONS")) : pick(METHODS);
    }
    String target = path;
    if (random.nextInt(isHealthCheck(path) ? 2 : 5) == 0) {
      StringBuilder q = new StringBuilder("?");
      int n = 1 + random.nextInt(3);
      for (int i = 0; i < n; i++) {
        q.append(i > 0 ? "&" : "").append(pick(QUERY_PARTS));
      }
      if (random.nextInt(8) == 0) {
        q.append(randomAscii(1 + random.nextInt(20)));
      }
      target = path + q;
    }

    boolean configEdit = path.equals("/config") && (method.equals("PATCH") || method.equals("PUT"));
    if (configEdit && random.nextInt(3) != 0) {
      boolean valid = random.nextBoolean();
      String body =
          valid
              ? method.equals("PUT") ? putBody(stored) : object(GOOD_CONFIG, null)
              : object(GOOD_CONFIG, BAD_CONFIG);
      return new Request(
          method,
          path,
          // a malformed query string alone is a 400: keep valid edits valid
          valid ? path : target,
          jsonHeaders(),
          body.getBytes(StandardCharsets.UTF_8),
          true,
          valid ? Edit.VALID : Edit.INVALID);
    }

    Map<String, String> headers = new LinkedHashMap<>();
    // POST /reload accepts any body: only ever unauthenticated here, so it is refused
    boolean authenticated = !path.equals("/reload") && random.nextInt(6) != 0;
    if (authenticated) {
      headers.put("Authorization", RestApiClusterTests.AUTH);
    } else if (random.nextBoolean()) {
      headers.put(
          "Authorization",
          pick(
              List.of(
                  "Basic !!!",
                  "Bearer x",
                  "Basic " + java.util.Base64.getEncoder().encodeToString("admin:wrong".getBytes()),
                  "Basic")));
    }
    headers.put(
        "Content-Type",
        pick(
            List.of(
                "application/json",
                "application/json",
                "application/yaml",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=xx",
                "application/json; charset=latin1",
                "*/*",
                "garbage")));
    byte[] body = null;
    boolean contentLength = true;
    if (MUTATING.contains(method) || random.nextInt(5) == 0) {
      body = junk(path.equals("/config")).getBytes(StandardCharsets.UTF_8);
      // without Content-Length the body is not read: an action would run as if asked with none
      contentLength = ACTIONS.contains(path) || random.nextInt(10) != 0;
    }
    return new Request(method, path, target, headers, body, contentLength, Edit.NONE);
  }

  private static Map<String, String> jsonHeaders() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", RestApiClusterTests.AUTH);
    headers.put("Content-Type", "application/json");
    return headers;
  }

  /** The stored document with a few valid changes: a valid whole configuration. */
  private String putBody(ObjectNode stored) {
    ObjectNode doc = stored.deepCopy();
    try {
      ConfigEditController.patch(doc, (ObjectNode) JSON.readTree(object(GOOD_CONFIG, null)));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return doc.toString();
  }

  private String junk(boolean config) {
    return switch (random.nextInt(12)) {
      case 0 -> {
        byte[] bytes = new byte[1 + random.nextInt(120)];
        random.nextBytes(bytes);
        yield "#" + new String(bytes, StandardCharsets.ISO_8859_1);
      }
      case 1, 2 -> {
        String whole = config ? object(GOOD_CONFIG, null) : object(OK_ACTION, BAD_ACTION);
        yield whole.substring(0, 1 + random.nextInt(whole.length() - 1));
      }
      case 3, 4 -> pick(NOT_OBJECTS);
      case 5 ->
          random.nextInt(4) == 0
              // past the limit on bodies: refused before it is read as JSON
              ? "{\"fuzz_note\": \"" + "x".repeat(JsonBodies.MAX_BODY) + "\"}"
              : "{\"fuzz_note\": \"" + "x".repeat(100_000) + "\", " + pick(BAD_CONFIG) + "}";
      // an empty body is an empty request, which starts a restart or a reinitialize
      case 6 -> config ? pick(List.of("", "{}")) : "{\"force\": \"\"}";
      default -> config ? object(GOOD_CONFIG, BAD_CONFIG) : object(OK_ACTION, BAD_ACTION);
    };
  }

  /**
   * An object of entries from {@code good} with distinct keys, and one from {@code bad} when that
   * is given.
   */
  private String object(List<String> good, List<String> bad) {
    StringBuilder b = new StringBuilder("{");
    int n = bad == null ? 1 + random.nextInt(3) : random.nextInt(3);
    int badAt = bad == null ? -1 : random.nextInt(n + 1);
    Set<String> keys = new java.util.HashSet<>();
    int written = 0;
    for (int i = 0; i <= n; i++) {
      String entry = null;
      if (i == badAt) {
        entry = pick(bad);
      } else if (i < n || bad == null) {
        String candidate = pick(good);
        if (keys.add(candidate.substring(0, candidate.indexOf(':')))) {
          entry = candidate;
        }
      }
      if (entry != null) {
        b.append(written++ > 0 ? ", " : "").append(entry);
      }
    }
    return b.append("}").toString();
  }

  private String randomAscii(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append((char) (33 + random.nextInt(94)));
    }
    return b.toString();
  }

  private <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }
}
