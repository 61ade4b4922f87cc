package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestCluster;
import io.pgregent.agent.loop.TestMembers;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.postgres.config.Credentials;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two agents with real PostgreSQL through a real etcd; the REST API checked against the Patroni
 * 3.0.2 captures in {@code shared/reference} (with Patroni 4.1's differences: role {@code primary},
 * {@code patroni.name}, {@code replication_state}).
 */
@Timeout(300)
class RestApiClusterTests {

  static final Credentials REST_AUTH = Credentials.of("admin", "rest-secret");
  static final String AUTH = RawHttp.basic("admin", "rest-secret");
  private static final ObjectMapper JSON = new ObjectMapper();

  @AutoClose static TestCluster cluster;
  static final Map<String, AgentConfig> configs = new LinkedHashMap<>();
  static final Map<String, ConfigurableApplicationContext> agents = new LinkedHashMap<>();

  /** Who leads and who follows when a test starts (a switchover earlier may have swapped them). */
  private String leader;

  private String replica;

  @BeforeAll
  static void startCluster() {
    cluster = new TestCluster("rest");
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("management.endpoints.web.exposure.include", "health,prometheus");
    extra.put("regent.restapi.switchover_timeout", 3);
    extra.put("restapi.http_extra_headers.X-Frame-Options", "SAMEORIGIN");
    // only members may call unsafe methods: the tests reach them from 127.0.0.1, the members'
    // api_url host (allowlist_include_members), not from the listed address
    extra.put("restapi.allowlist[0]", "10.9.9.9");
    extra.put("restapi.allowlist_include_members", true);
    for (String name : List.of("pg0", "pg1")) {
      AgentConfig c =
          cluster.member(
              name,
              new Tags(false, 1, false, false, false, null, Map.of("zone", "eu-1")),
              extra,
              REST_AUTH);
      configs.put(name, c);
      agents.put(name, cluster.run(c));
    }
  }

  /** Every test starts from a leader and a streaming replica, whichever member each is now. */
  @BeforeEach
  void findTheLeaderAndTheStreamingReplica() {
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              for (String m : configs.keySet()) {
                String other = m.equals("pg0") ? "pg1" : "pg0";
                // The shape cases below need the standby streaming and listed by the leader.
                if (code(m, "GET", "/primary") == 200
                    && code(other, "GET", "/replica") == 200
                    && json(get(m, "/patroni")).has("replication")
                    && json(get(other, "/patroni"))
                        .path("replication_state")
                        .asText()
                        .equals("streaming")
                    // ... and as its member key says, which /cluster shows (published a cycle
                    // later than /patroni's fresh sample).
                    && clusterState(m, other).equals("streaming")) {
                  leader = m;
                  replica = other;
                  return true;
                }
              }
              return false;
            });
  }

  /** The {@code state} that {@code GET /cluster} of {@code asked} shows for {@code member}. */
  static String clusterState(String asked, String member) throws IOException {
    for (JsonNode m : json(get(asked, "/cluster")).path("members")) {
      if (m.path("name").asText().equals(member)) {
        return m.path("state").asText();
      }
    }
    return "";
  }

  static int port(String member) {
    return configs.get(member).restapi().listenPort();
  }

  static int code(String member, String method, String target) {
    try {
      return RawHttp.send(port(member), method, target, null, null).status();
    } catch (IOException e) {
      return -1;
    }
  }

  static RawHttp.Response get(String member, String target) throws IOException {
    return RawHttp.send(port(member), "GET", target, null, null);
  }

  static RawHttp.Response send(String member, String method, String target, String body)
      throws IOException {
    return RawHttp.send(port(member), method, target, AUTH, body);
  }

  /** PATCH /config on the leader, which accepts it. */
  RawHttp.Response patchConfig(String body) throws IOException {
    RawHttp.Response r = send(leader, "PATCH", "/config", body);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return r;
  }

  /** Patroni's status and text for a request, as its clients read them. */
  static void assertAnswer(RawHttp.Response r, int status, String text) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.text()).isEqualTo(text);
  }

  static JsonNode json(RawHttp.Response r) throws IOException {
    return JSON.readTree(r.body());
  }

  /** The store as the first member's agent reads it (every member reads the same store). */
  static Dcs dcs() {
    return agents.values().iterator().next().getBean(Dcs.class);
  }

  static ClusterConfig storedConfig() {
    return dcs().read().config().orElseThrow();
  }

  // ---- health checks ----

  @Test
  void healthChecksAnswerAsPatroniPerRoleWithGetHeadAndOptions() throws IOException {
    Map<String, Integer> leaderCodes = new LinkedHashMap<>();
    Map<String, Integer> replicaCodes = new LinkedHashMap<>();
    expect(leaderCodes, replicaCodes, "/", 200, 503);
    expect(leaderCodes, replicaCodes, "/primary", 200, 503);
    expect(leaderCodes, replicaCodes, "/master", 200, 503);
    expect(leaderCodes, replicaCodes, "/read-write", 200, 503);
    expect(leaderCodes, replicaCodes, "/leader", 200, 503);
    expect(leaderCodes, replicaCodes, "/standby-leader", 503, 503);
    expect(leaderCodes, replicaCodes, "/standby_leader", 503, 503);
    expect(leaderCodes, replicaCodes, "/replica", 503, 200);
    expect(leaderCodes, replicaCodes, "/replica?lag=1GB", 503, 200);
    expect(leaderCodes, replicaCodes, "/replica?tag_zone=eu-1", 503, 200);
    expect(leaderCodes, replicaCodes, "/replica?tag_zone=us-1", 503, 503);
    expect(leaderCodes, replicaCodes, "/replica?tag_rack=r1", 503, 503);
    expect(leaderCodes, replicaCodes, "/read-only", 200, 200);
    expect(leaderCodes, replicaCodes, "/synchronous", 503, 503);
    expect(leaderCodes, replicaCodes, "/sync", 503, 503);
    expect(leaderCodes, replicaCodes, "/asynchronous", 503, 200);
    expect(leaderCodes, replicaCodes, "/async", 503, 200);
    expect(leaderCodes, replicaCodes, "/quorum", 503, 503);
    expect(leaderCodes, replicaCodes, "/read-only-sync", 200, 503);
    expect(leaderCodes, replicaCodes, "/health", 200, 200);
    expect(leaderCodes, replicaCodes, "/liveness", 200, 200);
    expect(leaderCodes, replicaCodes, "/readiness", 200, 200);
    expect(leaderCodes, replicaCodes, "/patroni", 200, 200);
    for (String method : List.of("GET", "HEAD", "OPTIONS")) {
      Map<String, Integer> seenLeader = new LinkedHashMap<>();
      Map<String, Integer> seenReplica = new LinkedHashMap<>();
      for (String path : leaderCodes.keySet()) {
        RawHttp.Response l = RawHttp.send(port(leader), method, path, null, null);
        RawHttp.Response r = RawHttp.send(port(replica), method, path, null, null);
        seenLeader.put(path, l.status());
        seenReplica.put(path, r.status());
        if (!method.equals("GET")) {
          assertThat(l.body()).as(method + " " + path).isEmpty();
          assertThat(r.body()).as(method + " " + path).isEmpty();
        }
      }
      assertThat(seenLeader).as(method + " on the leader").isEqualTo(leaderCodes);
      assertThat(seenReplica).as(method + " on the replica").isEqualTo(replicaCodes);
    }
    // /liveness and /readiness: the status line only
    assertThat(get(leader, "/liveness").body()).isEmpty();
    assertThat(get(replica, "/readiness").body()).isEmpty();
  }

  private static void expect(
      Map<String, Integer> l,
      Map<String, Integer> r,
      String path,
      int leaderCode,
      int replicaCode) {
    l.put(path, leaderCode);
    r.put(path, replicaCode);
  }

  @Test
  void statusDocumentsHaveThePatroniShapes() throws IOException {
    RawHttp.Response lr = get(leader, "/patroni");
    assertThat(lr.status()).isEqualTo(200);
    assertThat(lr.headers().get("content-type")).startsWith("application/json");
    assertThat(lr.headers().get("server")).startsWith("Patroni/4.1.4 Regent/");
    assertThat(lr.headers().get("x-frame-options")).isEqualTo("SAMEORIGIN");
    JsonNode l = json(lr);
    // the 3.0.2 capture's fields, in its order
    assertThat(fieldNames(l))
        .containsSubsequence(
            "state",
            "postmaster_start_time",
            "role",
            "server_version",
            "xlog",
            "timeline",
            "replication",
            "dcs_last_seen",
            "database_system_identifier",
            "patroni");
    assertThat(l.get("state").asText()).isEqualTo("running");
    assertThat(l.get("role").asText()).isEqualTo("primary");
    assertThat(l.get("server_version").asInt()).isGreaterThan(90000);
    assertThat(l.get("postmaster_start_time").asText())
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00");
    assertThat(fieldNames(l.get("xlog"))).containsExactly("location");
    assertThat(l.get("xlog").get("location").isIntegralNumber()).isTrue();
    assertThat(l.get("timeline").isInt()).isTrue();
    JsonNode row = l.get("replication").get(0);
    assertThat(fieldNames(row))
        .containsExactly(
            "usename", "application_name", "client_addr", "state", "sync_state", "sync_priority");
    assertThat(row.get("application_name").asText()).isEqualTo(replica);
    assertThat(l.get("database_system_identifier").asText()).matches("\\d+");
    assertThat(l.get("dcs_last_seen").isIntegralNumber()).isTrue();
    assertThat(fieldNames(l.get("patroni"))).containsExactly("version", "scope", "name");
    assertThat(l.get("patroni").get("name").asText()).isEqualTo(leader);
    assertThat(l.get("patroni").get("scope").asText()).isEqualTo("rest");
    assertThat(l.get("tags").get("zone").asText()).isEqualTo("eu-1");
    assertThat(l.has("cluster_unlocked")).isFalse();

    JsonNode r = json(get(replica, "/patroni"));
    assertThat(r.get("role").asText()).isEqualTo("replica");
    assertThat(fieldNames(r.get("xlog")))
        .containsExactly("received_location", "replayed_location", "replayed_timestamp", "paused");
    assertThat(r.get("replication_state").asText()).isEqualTo("streaming");
    assertThat(r.has("replication")).isFalse();
    assertThat(r.get("database_system_identifier")).isEqualTo(l.get("database_system_identifier"));
    // a failing check still carries the document
    RawHttp.Response failing = get(replica, "/primary");
    assertThat(failing.status()).isEqualTo(503);
    assertThat(json(failing).get("role").asText()).isEqualTo("replica");
  }

  @Test
  void clusterHistoryAndConfig() throws IOException {
    RawHttp.Response cr = get(replica, "/cluster");
    assertThat(cr.status()).isEqualTo(200);
    JsonNode cluster = json(cr);
    assertThat(cluster.get("scope").asText()).isEqualTo("rest");
    List<JsonNode> members = new ArrayList<>();
    cluster.get("members").forEach(members::add);
    assertThat(members).extracting(m -> m.get("name").asText()).containsExactly("pg0", "pg1");
    JsonNode lm =
        members.stream().filter(m -> m.get("name").asText().equals(leader)).findFirst().get();
    JsonNode rm =
        members.stream().filter(m -> m.get("name").asText().equals(replica)).findFirst().get();
    assertThat(lm.get("role").asText()).isEqualTo("leader");
    assertThat(lm.get("state").asText()).isEqualTo("running");
    assertThat(lm.has("lag")).isFalse();
    assertThat(fieldNames(lm))
        .containsSubsequence("name", "role", "state", "api_url", "host", "port", "timeline");
    assertThat(lm.get("api_url").asText())
        .isEqualTo("http://127.0.0.1:" + port(leader) + "/patroni");
    assertThat(lm.get("port").asInt())
        .isEqualTo(
            Integer.parseInt(configs.get(leader).postgresql().connectAddress().split(":")[1]));
    assertThat(rm.get("role").asText()).isEqualTo("replica");
    assertThat(rm.get("state").asText()).isEqualTo("streaming");
    assertThat(rm.get("lag").isIntegralNumber() || rm.get("lag").asText().equals("unknown"))
        .isTrue();
    assertThat(rm.get("replay_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");

    RawHttp.Response hr = get(leader, "/history");
    assertThat(hr.status()).isEqualTo(200);
    assertThat(json(hr).isArray()).isTrue();

    RawHttp.Response config = get(replica, "/config");
    assertThat(config.status()).isEqualTo(200);
    assertThat(json(config)).isEqualTo(storedConfig().data());
    assertThat(json(config).get("ttl").asInt()).isEqualTo(10);
  }

  // ---- configuration edits ----

  @Test
  void patchAndPutConfigAreAuthenticatedValidatedAndCompareAndSet() throws Exception {
    ClusterConfig before = storedConfig();
    // authentication
    RawHttp.Response noAuth =
        RawHttp.send(port(leader), "PATCH", "/config", null, "{\"maximum_lag_on_failover\": 5}");
    assertThat(noAuth.status()).isEqualTo(401);
    assertThat(noAuth.headers().get("www-authenticate")).isEqualTo("Basic realm=\"Patroni\"");
    RawHttp.Response wrong =
        RawHttp.send(
            port(leader),
            "PATCH",
            "/config",
            RawHttp.basic("admin", "guess"),
            "{\"maximum_lag_on_failover\": 5}");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.text()).doesNotContain("rest-secret").doesNotContain("guess");
    // invalid edits: 400 naming the key, nothing written
    for (String[] bad :
        new String[][] {
          {"{\"ttl\": \"abc\"}", "ttl"},
          {"{\"ttl\": 4}", "ttl"},
          {"{\"loop_wait\": -1}", "loop_wait"},
          {"{\"retry_timeout\": 0}", "retry_timeout"},
          {"{\"maximum_lag_on_failover\": -1}", "maximum_lag_on_failover"},
          {"{\"maximum_lag_on_failover\": 1.5}", "maximum_lag_on_failover"},
          {"{\"primary_start_timeout\": \"soon\"}", "primary_start_timeout"},
          {"{\"pause\": \"perhaps\"}", "pause"},
          {"{\"pause\": {\"loop_wait\": 1.5}}", "pause"},
          {"{\"check_timeline\": 2}", "check_timeline"},
          {"{\"failsafe_mode\": \"%s%s%n\"}", "failsafe_mode"},
          {"{\"postgresql\": \"text\"}", "postgresql"},
          {"{\"maximum_lag_on_failover\": 9223372036854775808}", "maximum_lag_on_failover"},
          {"{\"synchronous_mode\": \"sometimes\"}", "synchronous_mode"},
          {"{\"postgresql\": {\"parameters\": [\"work_mem\"]}}", "postgresql.parameters"},
          {"{\"postgresql\": {\"use_pg_rewind\": \"true\"}}", "postgresql.use_pg_rewind"},
          {"{\"postgresql\": {\"use_slots\": \"x\"}}", "postgresql.use_slots"},
        }) {
      RawHttp.Response r = send(leader, "PATCH", "/config", bad[0]);
      assertThat(r.status()).as(bad[0]).isEqualTo(400);
      assertThat(r.text()).as(bad[0]).contains(bad[1]);
      RawHttp.Response p = send(leader, "PUT", "/config", bad[0]);
      assertThat(p.status()).as("PUT " + bad[0]).isEqualTo(400);
    }
    // a form-encoded body is no form to this API: a 400, not a 500 from parsing it as a form
    for (String method : List.of("PATCH", "PUT")) {
      RawHttp.Response form =
          RawHttp.send(
              port(leader),
              method,
              "/config",
              Map.of("Authorization", AUTH, "Content-Type", "application/x-www-form-urlencoded"),
              "ttl=%zz".getBytes(java.nio.charset.StandardCharsets.UTF_8),
              true);
      assertThat(form.status()).as(method + " " + form.text()).isEqualTo(400);
    }
    assertThat(send(leader, "PATCH", "/config", "{\"ttl\": ").status()).isEqualTo(400);
    assertThat(send(leader, "PATCH", "/config", "[1]").status()).isEqualTo(400);
    assertThat(send(leader, "PATCH", "/config", "{}").status()).isEqualTo(400);
    assertThat(
            RawHttp.send(
                    port(leader), "PATCH", "/config", Map.of("Authorization", AUTH), null, false)
                .status())
        .isEqualTo(411);
    assertThat(storedConfig()).isEqualTo(before);

    // Patroni's value forms are accepted and keys Regent does not know are stored as written;
    // timings that break loop_wait + 2 × retry_timeout ≤ ttl are stored and adjusted in force
    patchConfig(
        "{\"check_timeline\": \"on\", \"tll\": 30, \"ttl\": 20, \"retry_timeout\": 10,"
            + " \"loop_wait\": 2, \"permanent_slots\": {\"keep\": {\"type\": \"physical\"}}}");
    ClusterConfig accepted = storedConfig();
    assertThat(accepted.settings().checkTimeline()).isTrue();
    assertThat(accepted.data().get("tll").asInt()).isEqualTo(30);
    assertThat(accepted.data().get("retry_timeout").asInt()).isEqualTo(10);
    assertThat(accepted.retryTimeout()).isEqualTo(9);
    assertThat(accepted.loopWait()).isEqualTo(1);
    assertThat(accepted.settings().physicalSlots()).containsExactly("keep");
    assertThat(send(leader, "PUT", "/config", before.data().toString()).status()).isEqualTo(200);
    assertThat(storedConfig().data()).isEqualTo(before.data());
    before = storedConfig();

    // a valid merge: changed keys replaced, nested objects merged, null deletes
    RawHttp.Response ok =
        patchConfig(
            "{\"maximum_lag_on_failover\": 2097152, \"postgresql\": {\"parameters\":"
                + " {\"work_mem\": \"8MB\"}}}");
    JsonNode merged = json(ok);
    assertThat(merged.get("maximum_lag_on_failover").asLong()).isEqualTo(2097152);
    assertThat(merged.at("/postgresql/parameters/work_mem").asText()).isEqualTo("8MB");
    assertThat(merged.at("/postgresql/parameters/max_connections").asInt()).isEqualTo(30);
    assertThat(storedConfig().data()).isEqualTo(merged);
    patchConfig("{\"postgresql\": {\"parameters\": {\"work_mem\": null}}}");
    assertThat(storedConfig().data().at("/postgresql/parameters").has("work_mem")).isFalse();

    // compare-and-set: a write between our read and our write makes the PATCH fail with 409
    Dcs real = dcs();
    ConfigEditController racing = new ConfigEditController(new ConcurrentWriter(real));
    byte[] body = "{\"maximum_lag_on_failover\": 3145728}".getBytes();
    var answer = racing.patch(String.valueOf(body.length), body);
    assertThat(answer.getStatusCode().value()).isEqualTo(409);
    assertThat(storedConfig().maximumLagOnFailover()).isEqualTo(2097152);

    // PUT replaces the whole document
    ObjectNode replacement = before.data().deepCopy();
    replacement.put("maximum_lag_on_failover", 1048576);
    RawHttp.Response put = send(leader, "PUT", "/config", replacement.toString());
    assertThat(put.status()).isEqualTo(200);
    assertThat(storedConfig().data()).isEqualTo(replacement);
    // a replica answers the same way: the store holds the configuration
    assertThat(json(get(replica, "/config"))).isEqualTo(replacement);
  }

  /** The real store, with another writer changing the config key just before our write. */
  static final class ConcurrentWriter extends DelegatingDcs {
    ConcurrentWriter(Dcs real) {
      super(real);
    }

    @Override
    public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
      if (key == ClusterKey.CONFIG) {
        ClusterConfig current = delegate.read().config().orElseThrow();
        delegate.compareAndSet(key, current.version(), ClusterCodec.encode(current));
      }
      return delegate.compareAndSet(key, expectedVersion, value);
    }
  }

  // ---- fuzz ----

  /** Status codes above 499 that Patroni documents for a request. */
  private static boolean documented(RestFuzz.Request req, int status) {
    boolean read = List.of("GET", "HEAD", "OPTIONS").contains(req.method());
    if (status == 503) {
      // health checks, and operations refused in the cluster's present state
      return read && RestFuzz.isHealthCheck(req.path())
          || req.method().equals("POST")
              && List.of("/switchover", "/failover", "/restart", "/reinitialize")
                  .contains(req.path());
    }
    if (status == 502) {
      return req.path().equals("/failsafe");
    }
    return status == 501 && !RestFuzz.METHODS.subList(0, 8).contains(req.method());
  }

  @Test
  void fuzzAnswersNo5xxAndChangesTheConfigurationOnlyThroughValidEdits() throws Exception {
    ClusterConfig before = storedConfig();
    Optional<Failover> failoverBefore = dcs().read().failover();
    long seed = Long.getLong("regent.fuzz.seed", 20261204L);
    RestFuzz fuzz = new RestFuzz(seed);
    List<String> problems = new ArrayList<>();
    int valid = 0;
    try {
      for (int i = 0; i < 400 && problems.size() < 10; i++) {
        ClusterConfig stored = storedConfig();
        RestFuzz.Request req = fuzz.next(stored.data());
        String target = i % 2 == 0 ? leader : replica;
        RawHttp.Response r;
        try {
          r =
              RawHttp.send(
                  port(target),
                  req.method(),
                  req.target(),
                  req.headers(),
                  req.body(),
                  req.contentLength());
        } catch (IOException e) {
          // the server may close a connection on a request it cannot parse; that is no 5xx
          r = null;
        }
        String what = "#" + i + " " + req.describe() + " -> " + (r == null ? "closed" : r.status());
        if (r != null && r.status() >= 500 && !documented(req, r.status())) {
          problems.add(what + " " + r.text());
        }
        io.pgregent.core.cluster.ClusterView view = dcs().read();
        if (view.malformedKeys().contains(ClusterKey.CONFIG.path())) {
          problems.add(what + ": a malformed configuration was stored");
        }
        ObjectNode after = view.config().orElseThrow().data();
        switch (req.edit()) {
          case VALID -> {
            valid++;
            ObjectNode request = (ObjectNode) JSON.readTree(req.body());
            ObjectNode expected = stored.data().deepCopy();
            if (req.method().equals("PUT")) {
              expected = request;
            } else {
              ConfigEditController.patch(expected, request);
            }
            if (r == null || r.status() != 200 || !after.equals(expected)) {
              problems.add(what + ": a valid edit was not applied as sent; stored " + after);
            }
          }
          case INVALID -> {
            if (r == null || r.status() != 400 || !after.equals(stored.data())) {
              problems.add(what + ": a malformed edit was not refused with 400; stored " + after);
            }
          }
          case NONE -> {
            if (!after.equals(stored.data())) {
              problems.add(what + ": the configuration changed; stored " + after);
            }
          }
        }
      }
      assertThat(problems).as("REST fuzz, seed " + seed + " (-Dregent.fuzz.seed=)").isEmpty();
      assertThat(valid).as("valid edits sent").isGreaterThan(10);
      assertThat(dcs().read().failover()).isEqualTo(failoverBefore);
      assertThat(code(leader, "GET", "/primary")).isEqualTo(200);
    } finally {
      // the edits were valid but are not what the following tests expect
      send(leader, "PUT", "/config", before.data().toString());
    }
    assertThat(storedConfig().data()).isEqualTo(before.data());
  }

  // ---- actions ----

  @Test
  void switchoverAndFailoverAreValidatedAndHandedOverThroughTheFailoverKey() throws Exception {
    assertThat(send(leader, "POST", "/switchover", "{\"candidate\": \"" + replica + "\"}").text())
        .isEqualTo("Switchover could be performed only from a specific leader");
    assertAnswer(
        send(leader, "POST", "/failover", "{\"leader\": \"" + leader + "\"}"),
        400,
        "Failover could be performed only to a specific candidate");
    // Whatever else the body holds, the missing candidate is what the answer names.
    assertAnswer(
        send(leader, "POST", "/failover", "{\"foo\": \"bar\"}"),
        400,
        "Failover could be performed only to a specific candidate");
    assertAnswer(
        send(leader, "POST", "/switchover", "{\"leader\": \"nobody\"}"),
        412,
        "leader name does not match");
    assertAnswer(
        send(
            replica,
            "POST",
            "/switchover",
            "{\"leader\": \"" + leader + "\", \"candidate\": \"ghost\"}"),
        412,
        "candidate does not exists");
    assertAnswer(
        send(
            leader,
            "POST",
            "/switchover",
            "{\"leader\": \"" + leader + "\", \"candidate\": \"" + leader + "\"}"),
        400,
        "Switchover target and source are the same");
    RawHttp.Response scheduledFailover =
        send(
            leader,
            "POST",
            "/failover",
            "{\"candidate\": \""
                + replica
                + "\", \"scheduled_at\": \"2099-01-01T00:00:00+00:00\"}");
    assertThat(scheduledFailover.text()).isEqualTo("Failover can't be scheduled");
    assertAnswer(
        send(
            leader,
            "POST",
            "/switchover",
            "{\"leader\": \"" + leader + "\", \"scheduled_at\": \"2020-01-01T00:00:00+00:00\"}"),
        422,
        "Cannot schedule switchover in the past");
    assertAnswer(
        send(
            leader,
            "POST",
            "/switchover",
            "{\"leader\": \"" + leader + "\", \"scheduled_at\": \"2099-01-01T00:00:00\"}"),
        400,
        "Timezone information is mandatory for the scheduled switchover");
    assertThat(send(leader, "POST", "/switchover", "{\"leader\": 7}").status()).isEqualTo(400);
    assertThat(send(leader, "POST", "/switchover", "{\"leader\": \"x\", \"force\": true}").status())
        .isEqualTo(400);
    assertThat(dcs().read().failover().filter(f -> !f.isEmpty())).isEmpty();

    // scheduled: stored as Patroni stores it, and deletable
    OffsetDateTime at = OffsetDateTime.parse("2099-01-01T00:00:00+00:00");
    assertAnswer(
        send(
            leader,
            "POST",
            "/switchover",
            "{\"leader\": \""
                + leader
                + "\", \"candidate\": \""
                + replica
                + "\", \"scheduled_at\": \""
                + at
                + "\"}"),
        202,
        "Switchover scheduled");
    Failover stored = dcs().read().failover().orElseThrow();
    assertThat(stored.leader()).isEqualTo(leader);
    assertThat(stored.candidate()).isEqualTo(replica);
    assertThat(stored.scheduledAt()).isEqualTo(at);
    JsonNode cluster = json(get(replica, "/cluster"));
    assertThat(cluster.at("/scheduled_switchover/from").asText()).isEqualTo(leader);
    assertThat(cluster.at("/scheduled_switchover/to").asText()).isEqualTo(replica);
    assertThat(send(leader, "DELETE", "/switchover", null).status()).isEqualTo(200);
    assertThat(dcs().read().failover().map(Failover::isEmpty).orElse(true)).isTrue();
    assertAnswer(send(leader, "DELETE", "/switchover", null), 404, "no switchover is scheduled");

    // synchronous_mode as Patroni also writes it ("on"): a switchover candidate must be in /sync
    ClusterConfig plain = storedConfig();
    ObjectNode syncOn = plain.data().deepCopy();
    syncOn.put("synchronous_mode", "on");
    assertThat(dcs().compareAndSet(ClusterKey.CONFIG, plain.version(), ClusterCodec.json(syncOn)))
        .isTrue();
    try {
      RawHttp.Response notSync =
          send(
              replica,
              "POST",
              "/switchover",
              "{\"leader\": \"" + leader + "\", \"candidate\": \"ghost\"}");
      assertThat(notSync.status()).isEqualTo(412);
      assertThat(notSync.text()).isEqualTo("candidate name does not match with sync_standby");
    } finally {
      dcs()
          .compareAndSet(
              ClusterKey.CONFIG, storedConfig().version(), ClusterCodec.json(plain.data()));
    }
    assertThat(dcs().read().failover().filter(f -> !f.isEmpty())).isEmpty();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> dcs().read().sync().isEmpty());

    // now: the leader steps down and the candidate takes over; the answer reports what the store
    // shows within its bound, and the switchover completes either way
    String oldLeader = leader;
    RawHttp.Response now =
        send(
            replica,
            "POST",
            "/switchover",
            "{\"leader\": \"" + leader + "\", \"candidate\": \"" + replica + "\"}");
    if (now.status() == 200) {
      assertThat(now.text()).isEqualTo("Successfully switched over to \"" + replica + "\"");
    } else {
      assertThat(now.status()).as(now.text()).isEqualTo(503);
      assertThat(now.text())
          .isEqualTo(
              "Switchover status unknown after 3 seconds; operation may still be in progress");
    }
    String newLeader = replica;
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              assertThat(dcs().read().leader().map(l -> l.name())).contains(newLeader);
              assertThat(code(newLeader, "GET", "/primary")).isEqualTo(200);
              assertThat(json(get(oldLeader, "/patroni")).path("replication_state").asText())
                  .isEqualTo("streaming");
              assertThat(dcs().read().failover().map(Failover::isEmpty).orElse(true)).isTrue();
            });
  }

  /** The events of a stream: name and data, in order, read as they arrive. */
  static List<Map.Entry<String, JsonNode>> events(java.util.stream.Stream<String> lines)
      throws IOException {
    List<Map.Entry<String, JsonNode>> events = new ArrayList<>();
    String name = null;
    for (String line : (Iterable<String>) lines::iterator) {
      if (line.startsWith("event: ")) {
        name = line.substring(7);
      } else if (line.startsWith("data: ")) {
        events.add(Map.entry(name, JSON.readTree(line.substring(6))));
      }
    }
    return events;
  }

  @Test
  void aSwitchoverAskedForEventsStreamsEachStepFromTheStoreAndEndsWithTheOutcome()
      throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    java.util.function.Function<String, java.net.http.HttpRequest> request =
        body ->
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port(leader) + "/switchover"))
                .header("Accept", "text/event-stream")
                .header("Content-Type", "application/json")
                .header("Authorization", AUTH)
                .timeout(Duration.ofSeconds(300))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build();
    // refused before anything changes: Patroni's status and text, no stream
    java.net.http.HttpResponse<String> refused =
        client.send(
            request.apply("{\"leader\": \"nobody\", \"candidate\": \"" + replica + "\"}"),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(412);
    assertThat(refused.body()).isEqualTo("leader name does not match");

    String oldLeader = leader;
    String candidate = replica;
    java.net.http.HttpResponse<java.util.stream.Stream<String>> r =
        client.send(
            request.apply(
                "{\"leader\": \"" + oldLeader + "\", \"candidate\": \"" + candidate + "\"}"),
            java.net.http.HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<Map.Entry<String, JsonNode>> events = events(r.body());
    assertThat(events.get(0).getKey()).isEqualTo("operation");
    assertThat(events.get(0).getValue().path("leader").asText()).isEqualTo(oldLeader);
    // every step, once and in order, then the outcome the store shows
    assertThat(
            events.stream()
                .filter(e -> e.getKey().equals("step"))
                .map(e -> e.getValue().path("step").asText()))
        .containsExactly(
            "requested",
            "candidate_chosen",
            "leader_stopping",
            "candidate_promoting",
            "new_leader",
            "old_leader_rejoined");
    Map.Entry<String, JsonNode> last = events.get(events.size() - 1);
    assertThat(last.getKey()).isEqualTo("outcome");
    assertThat(last.getValue().path("result").asText())
        .as(last.getValue().toString())
        .isEqualTo("success");
    assertThat(last.getValue().path("leader").asText()).isEqualTo(candidate);
    assertThat(last.getValue().path("message").asText())
        .startsWith("Switched over to \"" + candidate + "\": the store shows it leading")
        .doesNotContainIgnoringCase("unknown");
    assertThat(dcs().read().leader().map(l -> l.name())).contains(candidate);
    assertThat(json(get(oldLeader, "/patroni")).path("role").asText()).isEqualTo("replica");
  }

  @Test
  void restartReinitializeAndReload() throws Exception {
    assertThat(send(leader, "POST", "/restart", "{\"role\": \"boss\"}").text())
        .isEqualTo("PostgreSQL role should be either primary, standby_leader, or replica");
    assertThat(send(leader, "POST", "/restart", "{\"timeout\": -1}").text())
        .isEqualTo("Timeout should be a positive number of seconds");
    assertThat(send(leader, "POST", "/restart", "{\"postgres_version\": \"abc\"}").text())
        .isEqualTo("PostgreSQL version should be in the first.major.minor format");
    assertAnswer(
        send(leader, "POST", "/restart", "{\"when\": \"now\"}"),
        400,
        "Unknown filter for the scheduled restart: when");
    String schedule = "{\"schedule\": \"2099-01-01T00:00:00+00:00\"}";
    assertAnswer(send(leader, "POST", "/restart", schedule), 202, "Restart scheduled");
    RawHttp.Response twice =
        send(leader, "POST", "/restart", "{\"schedule\": \"2099-01-02T00:00:00+00:00\"}");
    assertThat(twice.status()).isEqualTo(409);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        dcs()
                            .read()
                            .member(leader)
                            .orElseThrow()
                            .data()
                            .at("/scheduled_restart/schedule")
                            .asText())
                    .isEqualTo("2099-01-01T00:00:00+00:00"));
    assertThat(send(leader, "DELETE", "/restart", null).status()).isEqualTo(200);
    assertAnswer(
        send(leader, "POST", "/restart", "{\"role\": \"replica\"}"),
        503,
        "restart conditions are not satisfied");
    assertThat(send(leader, "POST", "/restart", "{\"postgres_version\": \"9.6.0\"}").text())
        .isEqualTo("restart conditions are not satisfied");
    if (!json(get(leader, "/patroni")).has("pending_restart")) {
      assertThat(send(leader, "POST", "/restart", "{\"restart_pending\": true}").text())
          .isEqualTo("restart conditions are not satisfied");
    }
    // Patroni's clients send the filter as a string ("True"), as patronictl's --pending does.
    RawHttp.Response pendingText =
        send(
            leader,
            "POST",
            "/restart",
            "{\"restart_pending\": \"True\", \"schedule\": \"2099-01-01T00:00:00+00:00\"}");
    assertThat(pendingText.status()).as(pendingText.text()).isEqualTo(202);
    assertThat(send(leader, "DELETE", "/restart", null).status()).isEqualTo(200);
    assertThat(send(leader, "POST", "/restart", "{\"restart_pending\": \"maybe\"}").text())
        .isEqualTo("restart_pending should be true or false");
    assertAnswer(send(leader, "DELETE", "/restart", null), 404, "no restarts are scheduled");
    assertThat(RawHttp.send(port(leader), "POST", "/restart", null, "{}").status()).isEqualTo(401);

    assertAnswer(
        send(leader, "POST", "/reinitialize", "{\"force\": true}"),
        503,
        "I am the leader, can not reinitialize");
    assertThat(send(replica, "POST", "/reinitialize", "{\"force\": \"yes\"}").status())
        .isEqualTo(400);
    RawHttp.Response streaming = send(replica, "POST", "/reinitialize", "{}");
    assertThat(streaming.status()).as(streaming.text()).isEqualTo(409);
    assertThat(streaming.text()).contains("force");
    String replicaStarted = json(get(replica, "/patroni")).get("postmaster_start_time").asText();
    assertAnswer(
        send(replica, "POST", "/reinitialize", "{\"force\": true}"), 200, "reinitialize started");
    RawHttp.Response again = send(replica, "POST", "/reinitialize", "{\"force\": true}");
    if (again.status() != 200) {
      assertThat(again.status()).isEqualTo(503);
      assertThat(again.text()).isEqualTo("reinitialize already in progress");
    }
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              JsonNode doc = json(get(replica, "/patroni"));
              assertThat(doc.path("postmaster_start_time").asText()).isNotEqualTo(replicaStarted);
              assertThat(doc.path("replication_state").asText()).isEqualTo("streaming");
              assertThat(code(leader, "GET", "/primary")).isEqualTo(200);
            });

    assertAnswer(send(replica, "POST", "/reload", null), 202, "reload scheduled");

    // a real restart of the leader (it also applies the cluster's pending parameters)
    String startedBefore = json(get(leader, "/patroni")).get("postmaster_start_time").asText();
    assertAnswer(
        send(leader, "POST", "/restart", "{\"role\": \"primary\"}"), 200, "restarted successfully");
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              JsonNode doc = json(get(leader, "/patroni"));
              assertThat(doc.get("postmaster_start_time").asText()).isNotEqualTo(startedBefore);
              assertThat(code(leader, "GET", "/primary")).isEqualTo(200);
              assertThat(code(replica, "GET", "/replica")).isEqualTo(200);
            });
  }

  // ---- metrics and Actuator ----

  @Test
  void patroniMetricsActuatorGroupsAndPrometheus() throws Exception {
    RawHttp.Response lm = get(leader, "/metrics");
    assertThat(lm.status()).isEqualTo(200);
    assertThat(lm.headers().get("content-type")).startsWith("text/plain");
    String labels = "{scope=\"rest\",name=\"" + leader + "\"}";
    assertThat(lm.text())
        .contains("# TYPE patroni_version gauge\npatroni_version" + labels + " 040104\n")
        .contains("patroni_postgres_running" + labels + " 1\n")
        .contains("patroni_primary" + labels + " 1\n")
        .contains("patroni_replica" + labels + " 0\n")
        .contains("# TYPE patroni_xlog_location counter")
        .contains("patroni_cluster_unlocked" + labels + " 0\n")
        .contains("patroni_failsafe_mode_is_active" + labels + " 0\n")
        .contains("patroni_is_paused" + labels + " 0\n")
        .contains("# TYPE patroni_postgres_timeline gauge")
        .contains("patroni_postgres_state" + labels + " 5\n")
        .containsPattern("patroni_postmaster_start_time\\{[^}]*} \\d+\\.\\d{6}\n")
        .containsPattern("patroni_xlog_location\\{[^}]*} [1-9]\\d*\n")
        .containsPattern("patroni_postgres_server_version\\{[^}]*} 1\\d{5}\n");
    String rl = "{scope=\"rest\",name=\"" + replica + "\"}";
    // The replica's metrics follow its WAL receiver, which may still be connecting.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                get(replica, "/metrics")
                    .text()
                    .contains("patroni_postgres_streaming" + rl + " 1\n"));
    String rm = get(replica, "/metrics").text();
    assertThat(rm)
        .contains("patroni_primary" + rl + " 0\n")
        .contains("patroni_replica" + rl + " 1\n")
        .contains("patroni_sync_standby" + rl + " 0\n")
        .contains("patroni_postgres_streaming" + rl + " 1\n")
        .contains("patroni_xlog_location" + rl + " 0\n")
        .containsPattern("patroni_xlog_replayed_location\\{[^}]*} [1-9]\\d*\n");

    // Actuator health groups answer like /primary, /replica, /liveness, /readiness
    assertThat(code(leader, "GET", "/actuator/health")).isEqualTo(200);
    assertThat(code(replica, "GET", "/actuator/health")).isEqualTo(200);
    assertThat(code(leader, "GET", "/actuator/health/primary")).isEqualTo(200);
    assertThat(code(replica, "GET", "/actuator/health/primary")).isEqualTo(503);
    assertThat(code(leader, "GET", "/actuator/health/replica")).isEqualTo(503);
    assertThat(code(replica, "GET", "/actuator/health/replica")).isEqualTo(200);
    for (String m : List.of(leader, replica)) {
      assertThat(code(m, "GET", "/actuator/health/liveness")).isEqualTo(200);
      assertThat(code(m, "GET", "/actuator/health/readiness")).isEqualTo(200);
    }
    assertThat(json(get(replica, "/actuator/health/primary")).get("status").asText())
        .isEqualTo("NOT_PRIMARY");

    // Micrometer meters
    // A member the agent first saw after it started gets its lag gauge during a scrape, and shows
    // in the next one.
    String lagOfReplica = "regent_replication_lag_bytes{member=\"" + replica + "\"}";
    String prom =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> get(leader, "/actuator/prometheus").text(), t -> t.contains(lagOfReplica));
    assertThat(prom)
        .contains("regent_ha_leader ")
        .containsPattern("regent_postgres_role\\{role=\"primary\"} 1\\.0")
        .containsPattern("regent_postgres_timeline \\d")
        .contains("regent_postgres_wal_position ")
        .contains("regent_postgres_pending_restart ")
        .contains("regent_ha_paused 0.0")
        .contains("regent_ha_lock_ttl_remaining")
        .contains("regent_dcs_requests_seconds_count{operation=\"read\",outcome=\"success\"}")
        .contains("regent_replication_lag_bytes{member=\"" + replica + "\"}");
    // Spring Boot's standard meters: JVM, process, system, Logback, startup, and the requests to
    // the REST API (the GET /metrics above), without the load balancers' health checks. Not
    // Tomcat's session meters: the REST API keeps no sessions, and their binder loads JMX.
    assertThat(prom)
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_gc_pause_seconds_count{")
        .contains("jvm_threads_live_threads ")
        .contains("jvm_classes_loaded_classes ")
        .contains("process_cpu_usage ")
        .contains("process_uptime_seconds ")
        .contains("process_files_open_files ")
        .contains("system_cpu_count ")
        .contains("disk_free_bytes{")
        .contains("logback_events_total{")
        .contains("application_ready_time_seconds{")
        .containsPattern("http_server_requests_seconds_count\\{[^}]*uri=\"/metrics\"")
        .doesNotContainPattern("http_server_requests_seconds_count\\{[^}]*uri=\"/primary\"")
        .doesNotContain("tomcat_sessions_");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(get(leader, "/actuator/prometheus").text())
                    .containsPattern("regent_ha_loop_duration_seconds_count [1-9]"));
  }

  @Test
  void theStatusDocumentSamplesPostgresFreshWhileTheLoopWaits() throws Exception {
    // A long loop_wait: the loops publish again only in 40 s (routine WAL writes wake none).
    patchConfig("{\"ttl\": 90, \"loop_wait\": 40, \"retry_timeout\": 10}");
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  agents.values().stream()
                      .allMatch(
                          a -> a.getBean(io.pgregent.agent.loop.HaLoop.class).ttlSeconds() == 90));
      io.pgregent.postgres.PostgresController pg =
          agents.get(leader).getBean(io.pgregent.postgres.PostgresController.class);
      pg.client().execute("CREATE TABLE IF NOT EXISTS fresh_status (id int)");
      pg.client().execute("INSERT INTO fresh_status SELECT generate_series(1, 5000)");
      long lsn = pg.client().status().currentLsn();
      // What racing members read in GET /patroni is PostgreSQL's position of now, not the last
      // cycle's: well within the 40 s loop_wait.
      await()
          .atMost(Duration.ofSeconds(8))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                assertThat(json(get(leader, "/patroni")).at("/xlog/location").asLong())
                    .isGreaterThanOrEqualTo(lsn);
                assertThat(json(get(replica, "/patroni")).at("/xlog/received_location").asLong())
                    .isGreaterThanOrEqualTo(lsn);
              });
    } finally {
      patchConfig("{\"ttl\": 10, \"loop_wait\": 2, \"retry_timeout\": 3}");
    }
  }

  @Test
  void timingsThatBreakTheRuleAreStoredAsWrittenAndAdjustedInForce() throws Exception {
    // Patroni's acceptance suite configures these: loop_wait 2 + 2 × retry_timeout 10 > ttl 20
    RawHttp.Response r =
        send(leader, "PATCH", "/config", "{\"ttl\": 20, \"retry_timeout\": 10, \"loop_wait\": 2}");
    try {
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      for (JsonNode stored :
          List.of(json(r), json(get(replica, "/config")), storedConfig().data())) {
        assertThat(stored.get("ttl").asInt()).isEqualTo(20);
        assertThat(stored.get("loop_wait").asInt()).isEqualTo(2);
        assertThat(stored.get("retry_timeout").asInt()).isEqualTo(10);
      }
      // every loop works to loop_wait 1 and retry_timeout (20 − 1) / 2 = 9
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                for (ConfigurableApplicationContext a : agents.values()) {
                  io.pgregent.agent.loop.HaLoop loop =
                      a.getBean(io.pgregent.agent.loop.HaLoop.class);
                  assertThat(loop.ttlSeconds()).isEqualTo(20);
                  assertThat(loop.loopWaitSeconds()).isEqualTo(1);
                  assertThat(a.getBean(Dcs.class).timings())
                      .isEqualTo(new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(9)));
                }
              });
      assertThat(code(leader, "GET", "/primary")).isEqualTo(200);
      assertThat(code(replica, "GET", "/replica")).isEqualTo(200);
    } finally {
      patchConfig("{\"ttl\": 10, \"loop_wait\": 2, \"retry_timeout\": 3}");
    }
  }

  @Test
  void theRestApiServerHasNoIdleTimersAndStillAnswersAtOnce() throws Exception {
    var server =
        (org.springframework.boot.web.embedded.tomcat.TomcatWebServer)
            ((org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext)
                    agents.get(replica))
                .getWebServer();
    var tomcat = server.getTomcat();
    var protocol = tomcat.getConnector().getProtocolHandler();
    assertThat(protocol).isInstanceOf(QuietTomcat.Protocol.class);
    assertThat(((QuietTomcat.Protocol) protocol).getSelectorTimeout())
        .isEqualTo(QuietTomcat.SELECTOR_TIMEOUT_MS);
    assertThat(tomcat.getEngine().getBackgroundProcessorDelay()).isEqualTo(60);

    // Requests on a kept-alive connection and on new connections are answered at once all the
    // same: the poller is woken by the socket, not by its timeout.
    java.net.http.HttpClient client =
        java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + port(replica) + "/patroni");
    for (int i = 0; i < 3; i++) {
      java.net.http.HttpResponse<String> r =
          client.send(
              java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(get(replica, "/health").status()).isEqualTo(200);
    }
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  // ---- a second agent under a running member's name ----

  @Test
  void aSecondAgentUnderARunningMembersNameRefusesToStartAndTouchesNothing() {
    Path dupBase = cluster.base().resolve("dup");
    AgentConfig dup =
        TestMembers.member(
            dupBase,
            "rest",
            replica,
            cluster.hosts(),
            Tags.none(),
            Map.of(),
            REST_AUTH,
            TestMembers.bootstrapDcs());
    String apiUrl = dcs().read().member(replica).orElseThrow().apiUrl().orElseThrow();

    Throwable failure = null;
    try {
      agents.put("dup", cluster.run(dup));
    } catch (RuntimeException e) {
      failure = e;
    }

    assertThat(failure).as("the duplicate started").isNotNull();
    boolean duplicate = false;
    for (Throwable t = failure; t != null; t = t.getCause()) {
      duplicate |= t instanceof io.pgregent.agent.loop.UniqueNameCheck.DuplicateNameException;
    }
    assertThat(duplicate).as(String.valueOf(failure)).isTrue();
    assertThat(failure).hasStackTraceContaining("Can't start; there is already a node named");
    // Nothing was created or published: no data directory, the member key still the original's.
    assertThat(dupBase.resolve(replica)).doesNotExist();
    assertThat(dcs().read().member(replica).orElseThrow().apiUrl()).contains(apiUrl);
    assertThat(code(replica, "GET", "/replica")).isEqualTo(200);
  }

  // ---- maintenance mode: a replica's PostgreSQL stopped by the operator ----

  @Test
  void inPauseAStoppedReplicaIsNoReplicaAtOnceAndIsPublishedStopped() throws Exception {
    patchConfig("{\"pause\": true}");
    io.pgregent.postgres.PostgresController pg =
        agents.get(replica).getBean(io.pgregent.postgres.PostgresController.class);
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> json(get(replica, "/patroni")).path("pause").asBoolean(false));
      // What an operator (or Patroni's suite) does in maintenance mode, behind the agent's back.
      assertThat(
              new io.pgregent.postgres.os.CommandRunner(pg.osUser())
                  .run(
                      List.of(
                          pg.binaries().pgCtl().toString(),
                          "stop",
                          "-D",
                          pg.dataDir().toString(),
                          "-m",
                          "immediate",
                          "-w"),
                      Map.of(),
                      Duration.ofSeconds(60))
                  .succeeded())
          .isTrue();

      // A GET answers about PostgreSQL as it is now, not as the last cycle saw it.
      assertThat(code(replica, "GET", "/replica")).isEqualTo(503);
      assertThat(code(replica, "GET", "/health")).isEqualTo(503);
      // Nothing restarts it in pause; it is stopped, not crashed.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          dcs().read().member(replica).orElseThrow().data().path("state").asText())
                      .isEqualTo("stopped"));
    } finally {
      patchConfig("{\"pause\": null}");
    }
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> code(replica, "GET", "/replica") == 200);
  }
}
