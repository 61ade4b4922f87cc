package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One cluster of a Patroni 4.1 agent ({@code patroni}, from PyPI) and a Regent agent ({@code
 * regent}) on one etcd: Patroni bootstraps and Regent joins; switchover both ways; failover both
 * ways (kill -9 of the agent and its postmaster); synchronous mode with a {@code /sync} key written
 * by either; and the keys each writes read by the other, compared field by field: one scenario, its
 * steps in order, each from where the last left. Apart, a second cluster that Regent bootstraps and
 * Patroni joins. Each case stops its cluster's agents when it ends.
 */
@Timeout(900)
class MixedCluster41IT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(
          MixedCluster41IT::all, a -> a instanceof RegentAgent r ? r.logTail() : tail(a));

  private static final String SCOPE = "mixed41";
  private static final String PREFIX = "/service/" + SCOPE + "/";
  private static final String SECOND_SCOPE = "mixed41b";
  // Patroni applies its own minimum ttl (20 s) to the shared dynamic configuration.
  private static final int TTL = 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static EtcdServer etcd;
  private static Path base;

  /** The cluster Patroni bootstraps. */
  private static final Map<String, AgentProcess> members = new LinkedHashMap<>();

  private static PatroniAgent patroni;
  private static RegentAgent regent;

  /** The second cluster, which Regent bootstraps. */
  private static final Map<String, AgentProcess> secondCluster = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    Assumptions.assumeTrue(Patroni41.unavailableReason() == null, Patroni41.unavailableReason());
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-mixed41");
    String store = "127.0.0.1:" + etcd.clientPort();
    patroni = new PatroniAgent(Patroni41.patroni(), base, SCOPE, "patroni", store, TTL, 2, 3);
    regent = new RegentAgent(base, SCOPE, "regent", store, Map.of(), TTL, 2, 3, "", "");
    members.put("patroni", patroni);
    members.put("regent", regent);
    secondCluster.put(
        "rb", new RegentAgent(base, SECOND_SCOPE, "rb", store, Map.of(), TTL, 2, 3, "", ""));
    secondCluster.put(
        "pb", new PatroniAgent(Patroni41.patroni(), base, SECOND_SCOPE, "pb", store, TTL, 2, 3));
  }

  @AfterAll
  static void stopCluster() {
    if (etcd != null) {
      Members.stopAll(all().values(), etcd, base);
    }
  }

  static Map<String, AgentProcess> all() {
    Map<String, AgentProcess> m = new LinkedHashMap<>(members);
    m.putAll(secondCluster);
    return m;
  }

  // ---- helpers ----

  static String tail(AgentProcess a) {
    return a.process == null ? "" : a.process.logTail(40);
  }

  static Optional<String> leader() {
    return Members.leader(members);
  }

  static String other(String name) {
    return name.equals("patroni") ? "regent" : "patroni";
  }

  static boolean streaming(String name) {
    return members.get(name).streaming();
  }

  static void awaitLeaderWithStreamingReplica(String leader) {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().map(leader::equals).orElse(false) && streaming(other(leader)));
  }

  /**
   * A switchover through {@code from}'s REST API, until {@code to} leads and {@code from} streams.
   */
  static void switchOver(AgentProcess from, AgentProcess to) throws Exception {
    String body = "{\"leader\":\"" + from.name() + "\",\"candidate\":\"" + to.name() + "\"}";
    assertThat(post(from, "/switchover", body)).isEqualTo(200);
    awaitLeaderWithStreamingReplica(to.name());
  }

  /**
   * Waits until the sync key names {@code leader} and {@code standby}, and the standby, which read
   * the key the other agent wrote, answers as the synchronous standby; returns the key.
   */
  static JsonNode awaitSyncKey(AgentProcess leader, AgentProcess standby) throws Exception {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              JsonNode sync = key("sync");
              assertThat(sync.path("leader").asText()).isEqualTo(leader.name());
              assertThat(sync.path("sync_standby").asText()).isEqualTo(standby.name());
              assertThat(standby.status("/sync")).isEqualTo(200);
            });
    return key("sync");
  }

  static JsonNode key(String relative) throws Exception {
    // Absent reads as {}: a wait on a key that is not written yet keeps waiting.
    return JSON.readTree(etcd.get(PREFIX + relative).orElse("{}"));
  }

  static JsonNode get(AgentProcess a, String path) throws Exception {
    HttpResponse<String> r =
        ClusterMember.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.apiPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s on %s: %s", path, a.name(), r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static int post(AgentProcess a, String path, String body) throws Exception {
    HttpResponse<String> r =
        ClusterMember.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.apiPort() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  static Set<String> fields(JsonNode n) {
    Set<String> s = new TreeSet<>();
    n.fieldNames().forEachRemaining(s::add);
    return s;
  }

  /**
   * Both wrote the same fields with the same JSON types, apart from {@code regentOnly} and {@code
   * patroniOnly}.
   */
  static void sameShape(
      String what,
      JsonNode byPatroni,
      JsonNode byRegent,
      Set<String> regentOnly,
      Set<String> patroniOnly) {
    Set<String> p = fields(byPatroni);
    Set<String> r = fields(byRegent);
    r.removeAll(regentOnly);
    p.removeAll(patroniOnly);
    assertThat(r).as("%s: fields written by Regent vs Patroni 4.1", what).isEqualTo(p);
    for (Iterator<String> it = p.iterator(); it.hasNext(); ) {
      String f = it.next();
      assertThat(byRegent.get(f).getNodeType())
          .as("%s.%s: %s vs %s", what, f, byRegent.get(f), byPatroni.get(f))
          .isEqualTo(byPatroni.get(f).getNodeType());
    }
  }

  /**
   * Both agents' {@code GET /cluster} render the same members from the store: each reads what the
   * other wrote.
   */
  static void bothRenderTheSameCluster() {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              JsonNode byPatroni = get(patroni, "/cluster").path("members");
              JsonNode byRegent = get(regent, "/cluster").path("members");
              assertThat(byRegent).hasSize(2);
              assertThat(byPatroni).hasSize(2);
              for (int i = 0; i < 2; i++) {
                JsonNode p = byPatroni.get(i);
                JsonNode r = byRegent.get(i);
                for (String f :
                    List.of("name", "role", "state", "api_url", "host", "port", "timeline")) {
                  assertThat(r.path(f)).as("%s of %s", f, p.path("name")).isEqualTo(p.path(f));
                }
              }
            });
  }

  // ---- cases ----

  /**
   * Bootstrap by Patroni, switchovers and failovers both ways, synchronous mode, and the keys and
   * history both wrote: each step starts from the cluster the one before left, and the keys
   * compared are captured along the way.
   */
  @Test
  void patroniBootstrapsRegentJoinsAndEachLeadsInTurn() throws Exception {
    Map<String, JsonNode> dumps = new LinkedHashMap<>();
    try {
      patroniBootstrapsAndRegentJoins(dumps);
      switchoverFromPatroniToRegent(dumps);
      eachReadsTheMemberStatusAndFailsafeKeysTheOtherWrote(dumps);
      switchoverFromRegentToPatroni();
      synchronousModeWithASyncKeyWrittenByEither();
      failoverFromACrashedRegentToPatroni();
      failoverFromACrashedPatroniToRegent();
      theHistoryBothWroteReadsTheSame();
    } finally {
      members.values().forEach(AgentProcess::close);
    }
  }

  /** The member keys each agent wrote as a replica and as the leader go into {@code dumps}. */
  private static void patroniBootstrapsAndRegentJoins(Map<String, JsonNode> dumps)
      throws Exception {
    patroni.start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().map("patroni"::equals).orElse(false));
    regent.start();
    awaitLeaderWithStreamingReplica("patroni");
    try (var c = patroni.connect();
        var st = c.createStatement()) {
      st.execute("CREATE TABLE mixed_writes (id int primary key)");
    }
    bothRenderTheSameCluster();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> key("members/regent").path("replication_state").asText().equals("streaming"));
    dumps.put("patroni leader", key("members/patroni"));
    dumps.put("regent replica", key("members/regent"));
    // Patroni publishes the replica's slot on a later loop than the one that saw it streaming.
    await().atMost(Duration.ofSeconds(30)).until(() -> key("status").path("slots").has("regent"));
    dumps.put("status by patroni", key("status"));
    assertThat(patch(patroni, "/config", "{\"failsafe_mode\": true}")).isEqualTo(200);
    dumps.put("failsafe by patroni", awaitFailsafeListingBoth());
  }

  /** The failsafe key, once the leader lists both members in it. */
  static JsonNode awaitFailsafeListingBoth() {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                etcd.get(PREFIX + "failsafe")
                    .map(v -> v.contains("\"patroni\"") && v.contains("\"regent\""))
                    .orElse(false));
    try {
      return key("failsafe");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void switchoverFromPatroniToRegent(Map<String, JsonNode> dumps) throws Exception {
    switchOver(patroni, regent);
    bothRenderTheSameCluster();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> key("members/patroni").path("replication_state").asText().equals("streaming"));
    dumps.put("regent leader", key("members/regent"));
    dumps.put("patroni replica", key("members/patroni"));
    await().atMost(Duration.ofSeconds(30)).until(() -> key("status").path("slots").has("patroni"));
    dumps.put("status by regent", key("status"));
    // Written again by the new leader once gone.
    etcd.delete(PREFIX + "failsafe");
    dumps.put("failsafe by regent", awaitFailsafeListingBoth());
  }

  private static void eachReadsTheMemberStatusAndFailsafeKeysTheOtherWrote(
      Map<String, JsonNode> dumps) {
    sameShape(
        "leader member key",
        dumps.get("patroni leader"),
        dumps.get("regent leader"),
        Set.of("regent_version"),
        Set.of());
    sameShape(
        "replica member key",
        dumps.get("patroni replica"),
        dumps.get("regent replica"),
        Set.of("regent_version"),
        Set.of());
    // Both write retain_slots (Patroni 4.1's member_slots_ttl).
    sameShape(
        "status key",
        dumps.get("status by patroni"),
        dumps.get("status by regent"),
        Set.of(),
        Set.of());
    assertThat(dumps.get("status by patroni").path("retain_slots").isArray()).isTrue();
    // The leader publishes the replica's slot position in the status key, whoever leads.
    assertThat(dumps.get("status by patroni").path("slots").has("regent")).isTrue();
    assertThat(dumps.get("status by regent").path("slots").has("patroni")).isTrue();
    // The failsafe key: each member's name and REST URL, the same whoever wrote it.
    assertThat(dumps.get("failsafe by regent")).isEqualTo(dumps.get("failsafe by patroni"));
    assertThat(dumps.get("failsafe by patroni").path("regent").asText())
        .isEqualTo("http://127.0.0.1:" + regent.apiPort() + "/patroni");
  }

  private static void switchoverFromRegentToPatroni() throws Exception {
    switchOver(regent, patroni);
    bothRenderTheSameCluster();
  }

  private static void synchronousModeWithASyncKeyWrittenByEither() throws Exception {
    JsonNode patched = JSON.readTree("{\"synchronous_mode\": true}");
    assertThat(patch(patroni, "/config", patched.toString())).isEqualTo(200);
    JsonNode byPatroni = awaitSyncKey(patroni, regent);
    // A switchover in synchronous mode goes to the synchronous standby, which then writes the key.
    switchOver(patroni, regent);
    JsonNode byRegent = awaitSyncKey(regent, patroni);
    sameShape("sync key", byPatroni, byRegent, Set.of(), Set.of());
    assertThat(byRegent.path("quorum")).isEqualTo(byPatroni.path("quorum"));
    assertThat(regent.queryValue("SHOW synchronous_standby_names"))
        .hasValueSatisfying(v -> assertThat(v).contains("patroni"));
    assertThat(patch(regent, "/config", "{\"synchronous_mode\": false}")).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> etcd.get(PREFIX + "sync").map(v -> !v.contains("patroni")).orElse(true));
    awaitLeaderWithStreamingReplica("regent");
  }

  static int patch(AgentProcess a, String path, String body) throws Exception {
    return ClusterMember.HTTP
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.apiPort() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static void failoverFromACrashedRegentToPatroni() throws Exception {
    assertThat(leader()).contains("regent");
    failOver(regent, patroni, "patroni");
  }

  private static void failoverFromACrashedPatroniToRegent() throws Exception {
    failOver(patroni, regent, "regent");
  }

  /**
   * Kills the leader {@code from} (agent and postmaster) after writes reached {@code to}; {@code
   * to} (named {@code toName}) takes over with every row, and {@code from} rejoins as its replica.
   */
  private static void failOver(AgentProcess from, AgentProcess to, String toName) throws Exception {
    long rows = writeOn(from, 20);
    await().atMost(Duration.ofSeconds(30)).until(() -> count(to) == rows);
    // With failsafe_mode on, only a member the leader listed in the failsafe key may take over
    // (Patroni's rule, and ours): a member that has just rejoined waits for the leader's next
    // cycle.
    awaitFailsafeListingBoth();
    from.crash();
    await()
        .atMost(Duration.ofSeconds(3L * TTL + 30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().map(toName::equals).orElse(false));
    assertThat(count(to)).isEqualTo(rows);
    from.start();
    awaitLeaderWithStreamingReplica(toName);
    bothRenderTheSameCluster();
  }

  private static void theHistoryBothWroteReadsTheSame() throws Exception {
    JsonNode history = key("history");
    // Switchovers and failovers by both: four entries at least, each [tl, lsn, reason, ts, leader].
    assertThat(history.size()).isGreaterThanOrEqualTo(4);
    Set<String> leaders = new TreeSet<>();
    long tl = 0;
    for (JsonNode e : history) {
      assertThat(e.isArray()).isTrue();
      assertThat(e.get(0).isIntegralNumber()).as("timeline of %s", e).isTrue();
      assertThat(e.get(0).asLong()).isGreaterThan(tl);
      tl = e.get(0).asLong();
      assertThat(e.get(1).isIntegralNumber()).as("lsn of %s", e).isTrue();
      assertThat(e.get(2).isTextual()).as("reason of %s", e).isTrue();
      assertThat(e.size()).as("entry %s", e).isGreaterThanOrEqualTo(4);
      if (e.size() >= 5) {
        leaders.add(e.get(4).asText());
      }
    }
    assertThat(leaders).contains("patroni", "regent");
    JsonNode fromPatroni = get(patroni, "/history");
    JsonNode fromRegent = get(regent, "/history");
    assertThat(fromRegent).isEqualTo(fromPatroni);
  }

  static long count(AgentProcess a) {
    return a.queryValue("SELECT count(*) FROM mixed_writes").map(Long::parseLong).orElse(-1L);
  }

  static long writeOn(AgentProcess a, int n) throws Exception {
    try (var c = a.connect();
        var st = c.createStatement()) {
      for (int i = 0; i < n; i++) {
        st.execute("INSERT INTO mixed_writes SELECT coalesce(max(id), 0) + 1 FROM mixed_writes");
      }
    }
    return count(a);
  }

  @Test
  void regentBootstrapsAndPatroniJoins() throws Exception {
    AgentProcess first = secondCluster.get("rb");
    AgentProcess second = secondCluster.get("pb");
    try {
      first.start();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> first.status("/primary") == 200);
      second.start();
      await()
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> second.streaming() && first.status("/primary") == 200);
      JsonNode init =
          JSON.readTree(
              "\"" + etcd.get("/service/" + SECOND_SCOPE + "/initialize").orElseThrow() + "\"");
      assertThat(get(second, "/patroni").path("database_system_identifier").asText())
          .isEqualTo(init.asText());
    } finally {
      secondCluster.values().forEach(AgentProcess::close);
    }
  }
}
