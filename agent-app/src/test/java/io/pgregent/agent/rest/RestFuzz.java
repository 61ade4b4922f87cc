package io.pgregent.agent.rest;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Random and malformed requests for every endpoint. Bodies are never acceptable ones (each is
 * malformed, not an object, or carries at least one invalid entry), so a correct agent rejects
 * every request that could change something. Seeded: a failure prints the seed and the request.
 */
final class RestFuzz {

  static final List<String> HEALTH_PATHS =
      List.of(
          "/",
          "/primary",
          "/master",
          "/read-write",
          "/leader",
          "/standby-leader",
          "/standby_leader",
          "/replica",
          "/read-only",
          "/synchronous",
          "/sync",
          "/asynchronous",
          "/async",
          "/quorum",
          "/read-only-sync",
          "/read-only-synchronous",
          "/read-only-quorum",
          "/health",
          "/liveness",
          "/readiness",
          "/patroni");
  static final List<String> OTHER_PATHS =
      List.of(
          "/cluster",
          "/history",
          "/config",
          "/switchover",
          "/failover",
          "/restart",
          "/reinitialize",
          "/reload",
          "/metrics",
          "/actuator/health",
          "/actuator/health/liveness",
          "/actuator/health/readiness",
          "/actuator/health/primary",
          "/actuator/health/replica",
          "/actuator/prometheus",
          "/nonexistent",
          "/config/",
          "//config",
          "/patroni/x");
  static final List<String> METHODS =
      List.of("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "BREW");
  private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");

  /** Entries no endpoint accepts: each is invalid for the key it uses. */
  private static final List<String> BAD_ENTRIES =
      List.of(
          "\"ttl\": \"abc\"",
          "\"ttl\": 4",
          "\"ttl\": 1.5",
          "\"ttl\": []",
          "\"ttl\": {}",
          "\"loop_wait\": 0",
          "\"loop_wait\": -1",
          "\"retry_timeout\": -3",
          "\"maximum_lag_on_failover\": -1",
          "\"maximum_lag_on_failover\": \"lots\"",
          "\"pause\": \"yes\"",
          "\"pause\": 1",
          "\"check_timeline\": \"no\"",
          "\"synchronous_mode\": \"sometimes\"",
          "\"failsafe_mode\": []",
          "\"postgresql\": 5",
          "\"postgresql\": {\"parameters\": []}",
          "\"postgresql\": {\"use_slots\": \"x\"}",
          "\"postgresql\": {\"parameters\": {\"a\": {}}}",
          "\"primary_start_timeout\": \"later\"",
          "\"zzz_unknown\": 1",
          "\"\": null",
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

  private static final List<String> OK_ENTRIES =
      List.of(
          "\"ttl\": 30",
          "\"loop_wait\": 10",
          "\"pause\": false",
          "\"leader\": \"nobody\"",
          "\"candidate\": \"ghost\"",
          "\"role\": \"replica\"",
          "\"force\": false",
          "\"postgresql\": {\"parameters\": {\"work_mem\": \"4MB\"}}");
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

  record Request(
      String method,
      String path,
      String target,
      Map<String, String> headers,
      byte[] body,
      boolean contentLength) {
    String describe() {
      return method
          + " "
          + target
          + " headers="
          + headers
          + " body="
          + (body == null
              ? "null"
              : new String(body, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?"))
          + (contentLength ? "" : " (no Content-Length)");
    }
  }

  private final Random random;

  RestFuzz(long seed) {
    this.random = new Random(seed);
  }

  static boolean isHealthCheck(String path) {
    return HEALTH_PATHS.contains(path) || path.startsWith("/actuator/health");
  }

  Request next() {
    String path = random.nextInt(3) == 0 ? pick(HEALTH_PATHS) : pick(OTHER_PATHS);
    String method =
        random.nextInt(4) == 0 ? pick(List.of("GET", "HEAD", "OPTIONS")) : pick(METHODS);
    String target = path;
    if (random.nextInt(2) == 0) {
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
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=xx",
                "application/json; charset=latin1",
                "*/*",
                "garbage")));
    byte[] body = null;
    boolean contentLength = true;
    if (MUTATING.contains(method) || random.nextInt(5) == 0) {
      body = body().getBytes(StandardCharsets.UTF_8);
      contentLength = random.nextInt(10) != 0;
    }
    return new Request(method, path, target, headers, body, contentLength);
  }

  private String body() {
    return switch (random.nextInt(5)) {
      case 0 -> {
        byte[] bytes = new byte[1 + random.nextInt(120)];
        random.nextBytes(bytes);
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        yield "#" + s;
      }
      case 1 -> {
        String whole = object();
        yield whole.substring(0, 1 + random.nextInt(whole.length() - 1));
      }
      case 2 -> pick(NOT_OBJECTS);
      default -> object();
    };
  }

  /** An object with at least one bad entry among valid-looking ones. */
  private String object() {
    StringBuilder b = new StringBuilder("{");
    int good = random.nextInt(3);
    int badAt = random.nextInt(good + 1);
    for (int i = 0; i <= good; i++) {
      if (i > 0) {
        b.append(", ");
      }
      if (i == badAt) {
        b.append(pick(BAD_ENTRIES));
      }
      if (i < good) {
        b.append(i == badAt ? ", " : "").append(pick(OK_ENTRIES));
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
