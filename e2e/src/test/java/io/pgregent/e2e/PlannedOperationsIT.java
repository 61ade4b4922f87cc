package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Planned operations on three agents (separate processes, real etcd and PostgreSQL; {@code pg2} is
 * tagged nofailover): switchovers to a named and to the best candidate, refused switchovers that
 * change nothing, a scheduled switchover and its cancellation, a failover in a cluster without a
 * healthy leader, and a restart of a member. The old primary of a switchover follows the new one
 * without pg_rewind.
 */
@Timeout(600)
class PlannedOperationsIT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> PlannedOperationsIT.agents, RegentAgent::logTail);

  private static final String SCOPE = "planned";
  private static final String CONFIG_KEY = "/service/planned/config";
  private static final String FAILOVER_KEY = "/service/planned/failover";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CALL = Duration.ofSeconds(40);
  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-planned");
    for (String name : List.of("pg0", "pg1", "pg2")) {
      Map<String, Object> tags = name.equals("pg2") ? Map.of("nofailover", true) : Map.of();
      agents.put(name, new RegentAgent(base, SCOPE, name, "127.0.0.1:" + etcd.clientPort(), tags));
    }
    agents.values().forEach(RegentAgent::start);
    awaitHealthy();
  }

  @AfterAll
  static void stopCluster() {
    Members.stopAll(agents.values(), etcd, base);
  }

  // ---- helpers ----

  static List<String> primaries() {
    return Members.primaries(agents);
  }

  static Optional<String> leader() {
    return Members.leader(agents);
  }

  static String other(String member) {
    return member.equals("pg0") ? "pg1" : "pg0";
  }

  static boolean streaming(String member) {
    return Members.streaming(agents.get(member));
  }

  /** One leader, every other member streaming, no request pending. */
  static void awaitHealthy() {
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Members.healthy(agents) && failoverKey().map(JsonNode::isEmpty).orElse(true));
  }

  /** The store names the new leader first; its health check follows within a cycle. */
  static void awaitLeader(String member) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leader().map(member::equals).orElse(false));
  }

  /** {@code POST /switchover} with {@code body} through {@code member}'s REST API. */
  static RegentAgent.Answer postSwitchover(String member, String body) {
    return agents.get(member).send("POST", "/switchover", body, CALL);
  }

  /**
   * A switchover from {@code old} to {@code next} through the REST API, until {@code next} leads.
   */
  static void switchOver(String old, String next) {
    RegentAgent.Answer answer =
        postSwitchover(old, "{\"leader\": \"" + old + "\", \"candidate\": \"" + next + "\"}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("Successfully switched over to \"" + next + "\"");
    awaitLeader(next);
  }

  static Optional<JsonNode> failoverKey() {
    return etcd.get(FAILOVER_KEY)
        .map(
            v -> {
              try {
                return JSON.readTree(v);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  /** Writes {@code n} rows on {@code member}; returns how many rows the table holds then. */
  static long write(String member, int n) throws Exception {
    return Members.write(agents.get(member), "planned", n);
  }

  /**
   * Every case starts from the whole cluster up, whatever the case before left: each agent running,
   * no pause, Patroni's default lag limit, one leader, the others streaming.
   */
  @BeforeEach
  void startFromAHealthyCluster() throws Exception {
    agents.values().stream().filter(a -> !a.isAlive()).forEach(RegentAgent::start);
    ObjectNode config = (ObjectNode) JSON.readTree(etcd.get(CONFIG_KEY).orElseThrow());
    if (config.has("pause") || config.path("maximum_lag_on_failover").asLong(1048576) != 1048576) {
      config.remove("pause");
      config.put("maximum_lag_on_failover", 1048576);
      etcd.put(CONFIG_KEY, JSON.writeValueAsString(config));
    }
    awaitHealthy();
  }

  static long count(String member) {
    return Members.count(agents.get(member), "planned");
  }

  static int rewinds(String member) {
    String log = agents.get(member).log();
    return log.split("rejoining ", -1).length - 1;
  }

  // ---- cases ----

  @Test
  void aSwitchoverToANamedCandidateKeepsEveryCommitAndNeedsNoRewind() throws Exception {
    String old = leader().orElseThrow();
    String next = other(old);
    long rows = write(old, 20);
    int rewindsBefore = rewinds(old);
    switchOver(old, next);
    // Every commit of the old primary is on the new one, and the old one follows it.
    assertThat(count(next)).isEqualTo(rows);
    await().atMost(Duration.ofSeconds(60)).until(() -> streaming(old));
    long more = write(next, 5);
    await().atMost(Duration.ofSeconds(30)).until(() -> count(old) == more && count("pg2") == more);
    assertThat(rewinds(old)).as("pg_rewind runs of the old primary").isEqualTo(rewindsBefore);
    awaitHealthy();
  }

  @Test
  void refusedSwitchoversChangeNothing() throws Exception {
    String current = leader().orElseThrow();
    RegentAgent.Answer nofailover =
        postSwitchover(current, "{\"leader\": \"" + current + "\", \"candidate\": \"pg2\"}");
    assertThat(nofailover.status()).isEqualTo(412);
    assertThat(nofailover.body())
        .isEqualTo("switchover is not possible: no good candidates have been found");
    RegentAgent.Answer unknown =
        postSwitchover(current, "{\"leader\": \"" + current + "\", \"candidate\": \"pg9\"}");
    assertThat(unknown.status()).isEqualTo(412);
    assertThat(unknown.body()).isEqualTo("candidate does not exists");
    RegentAgent.Answer notLeader =
        postSwitchover(
            current,
            "{\"leader\": \"" + other(current) + "\", \"candidate\": \"" + current + "\"}");
    assertThat(notLeader.status()).isEqualTo(412);
    assertThat(notLeader.body()).isEqualTo("leader name does not match");
    assertThat(failoverKey().map(JsonNode::isEmpty).orElse(true)).isTrue();
    assertThat(leader()).contains(current);
  }

  @Test
  void aSwitchoverWithoutCandidateGoesToTheBestEligibleMember() throws Exception {
    String old = leader().orElseThrow();
    RegentAgent.Answer answer = postSwitchover(old, "{\"leader\": \"" + old + "\"}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    // pg2 is tagged nofailover: the only eligible member is the other one.
    assertThat(answer.body()).isEqualTo("Successfully switched over to \"" + other(old) + "\"");
    awaitHealthy();
    assertThat(leader()).contains(other(old));
  }

  @Test
  void aScheduledSwitchoverWaitsForItsTimeAndCanBeCancelled() throws Exception {
    String old = leader().orElseThrow();
    RegentAgent a = agents.get(old);
    OffsetDateTime far =
        OffsetDateTime.now(ZoneOffset.UTC).plusHours(1).truncatedTo(ChronoUnit.SECONDS);
    RegentAgent.Answer later =
        postSwitchover(old, "{\"leader\": \"" + old + "\", \"scheduled_at\": \"" + far + "\"}");
    assertThat(later.status()).isEqualTo(202);
    assertThat(later.body()).isEqualTo("Switchover scheduled");
    assertThat(a.send("DELETE", "/switchover", null, CALL).status()).isEqualTo(200);
    assertThat(failoverKey().map(JsonNode::isEmpty).orElse(true)).isTrue();

    OffsetDateTime soon = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(6);
    RegentAgent.Answer scheduled =
        postSwitchover(
            old,
            "{\"leader\": \""
                + old
                + "\", \"candidate\": \""
                + other(old)
                + "\", \"scheduled_at\": \""
                + soon
                + "\"}");
    assertThat(scheduled.status()).isEqualTo(202);
    // Not before its time (the cluster keeps its leader while the key waits) ...
    assertThat(leader()).contains(old);
    assertThat(failoverKey().map(j -> j.path("scheduled_at").asText())).isPresent();
    // ... and done once it has come.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> leader().map(other(old)::equals).orElse(false));
    assertThat(OffsetDateTime.now(ZoneOffset.UTC)).isAfterOrEqualTo(soon);
    awaitHealthy();
  }

  @Test
  void aFailoverToANamedCandidateWhenNoLeaderIsLeft() throws Exception {
    String old = leader().orElseThrow();
    String next = other(old);
    ObjectNode config = (ObjectNode) JSON.readTree(etcd.get(CONFIG_KEY).orElseThrow());
    config.put("pause", true);
    etcd.put(CONFIG_KEY, JSON.writeValueAsString(config));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> agents.get(next).patroni().map(j -> j.path("pause").asBoolean()).orElse(false));
    agents.get(old).crash();
    // Paused: nobody takes over by itself once the lock has expired.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> etcd.get("/service/planned/leader").isEmpty());
    assertThat(primaries()).isEmpty();
    RegentAgent.Answer answer =
        agents.get(next).send("POST", "/failover", "{\"candidate\": \"" + next + "\"}", CALL);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("Successfully failed over to \"" + next + "\"");
    awaitLeader(next);
    config.remove("pause");
    etcd.put(CONFIG_KEY, JSON.writeValueAsString(config));
    agents.get(old).start();
    awaitHealthy();
    long rows = write(next, 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> count(old) == rows);
  }

  @Test
  void aReplicaRestartedThroughTheRestApiComesBackStreaming() throws Exception {
    String current = leader().orElseThrow();
    RegentAgent replica = agents.get("pg2");
    String started = replica.patroni().orElseThrow().path("postmaster_start_time").asText();
    RegentAgent.Answer answer = replica.send("POST", "/restart", "{\"role\": \"replica\"}", CALL);
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("restarted successfully");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                streaming("pg2")
                    && !replica
                        .patroni()
                        .orElseThrow()
                        .path("postmaster_start_time")
                        .asText()
                        .equals(started));
    assertThat(leader()).contains(current);
  }

  // ---- Patroni's own command line against Regent ----

  static Path patronictlConfig() throws Exception {
    Path file = base.resolve("patronictl.yml");
    java.nio.file.Files.writeString(
        file,
        "scope: "
            + SCOPE
            + "\nnamespace: /service/\netcd3:\n  hosts: 127.0.0.1:"
            + etcd.clientPort()
            + "\n");
    return file;
  }

  /** Runs Debian's patronictl (installed by the test command); skips with the reason if absent. */
  static String patronictl(String... args) throws Exception {
    Path exe = Path.of("/usr/bin/patronictl");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        java.nio.file.Files.isExecutable(exe),
        "Debian's patronictl is not installed (./test.sh installs the patroni package)");
    List<String> cmd =
        new ArrayList<>(List.of(exe.toString(), "-c", patronictlConfig().toString()));
    cmd.addAll(List.of(args));
    return run(cmd, Map.of(), 2);
  }

  /** Runs a command to its end within {@code minutes}; returns its output once it exited 0. */
  static String run(List<String> cmd, Map<String, String> env, long minutes) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor(minutes, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
      assertThat(p.exitValue()).as("%s: %s", String.join(" ", cmd), out).isZero();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void patronictlListsTheClusterAsItWouldAPatroniCluster() throws Exception {
    awaitHealthy();
    String current = leader().orElseThrow();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode list = JSON.readTree(patronictl("list", "-f", "json"));
              assertThat(list).hasSize(3);
              for (JsonNode row : list) {
                String name = row.path("Member").asText();
                RegentAgent a = agents.get(name);
                JsonNode status = a.patroni().orElseThrow();
                assertThat(row.path("Cluster").asText()).isEqualTo(SCOPE);
                assertThat(row.path("Host").asText()).isEqualTo("127.0.0.1:" + a.pgPort());
                assertThat(row.path("Role").asText())
                    .isEqualTo(name.equals(current) ? "Leader" : "Replica");
                assertThat(row.path("State").asText()).isEqualTo("running");
                assertThat(row.path("TL").asLong()).isEqualTo(status.path("timeline").asLong());
                if (!name.equals(current)) {
                  assertThat(row.path("Lag in MB").asLong()).isZero();
                }
              }
            });
    String pretty = patronictl("list");
    assertThat(pretty).contains("Cluster: " + SCOPE).contains("| " + current + " ");
  }

  @Test
  void patronictlSwitchoverMovesTheLeader() throws Exception {
    awaitHealthy();
    String old = leader().orElseThrow();
    String next = other(old);
    String out = patronictl("switchover", "--leader", old, "--candidate", next, "--force");
    assertThat(out).contains("Successfully switched over to \"" + next + "\"");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().map(next::equals).orElse(false));
    awaitHealthy();
  }

  // ---- a standby that went past the new leader's fork point ----

  static void signal(String sig, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }

  static long countBig(String member) {
    return Members.count(agents.get(member), "planned_big");
  }

  static void setMaximumLag(long bytes) throws Exception {
    ObjectNode config = (ObjectNode) JSON.readTree(etcd.get(CONFIG_KEY).orElseThrow());
    config.put("maximum_lag_on_failover", bytes);
    etcd.put(CONFIG_KEY, JSON.writeValueAsString(config));
  }

  @Test
  void aStandbyAheadOfTheNewLeaderRejoinsThroughPgRewind() throws Exception {
    awaitHealthy();
    String old = leader().orElseThrow();
    String next = other(old);
    // The next leader will miss tens of MB that pg2 (nofailover) has: allow it to win anyway.
    setMaximumLag(512L * 1024 * 1024);
    try (Connection c = agents.get(old).connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS planned_big (id int, pad text)");
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> countBig(next) == 0 && countBig("pg2") == 0);
    long receiver;
    try (Connection c = agents.get(next).connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_wal_receiver")) {
      assertThat(rs.next()).isTrue();
      receiver = rs.getLong(1);
    }
    int rewindsBefore = rewinds("pg2");
    // The next leader stops receiving; more WAL than socket buffers hold goes to pg2 only.
    signal("STOP", receiver);
    long written;
    try {
      try (Connection c = agents.get(old).connect();
          Statement st = c.createStatement()) {
        st.execute(
            "INSERT INTO planned_big SELECT g, repeat('x', 1000) FROM generate_series(1, 40000) g");
      }
      written = countBig(old);
      await().atMost(Duration.ofSeconds(60)).until(() -> countBig("pg2") == written);
      agents.get(old).crash();
    } finally {
      signal("CONT", receiver);
    }
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> leader().map(next::equals).orElse(false));
    assertThat(countBig(next)).as("rows the new leader missed").isLessThan(written);
    // pg2's WAL went past where the new timeline forked off: it streams again only once rewound
    // onto the new leader's history, and then has exactly the new leader's rows.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> streaming("pg2") && countBig("pg2") == countBig(next));
    assertThat(rewinds("pg2")).isGreaterThan(rewindsBefore);
    assertThat(agents.get("pg2").log()).contains("went past");
    setMaximumLag(1048576);
    agents.get(old).start();
    awaitHealthy();
  }

  // ---- regentctl against the same cluster ----

  /** Runs {@code bin/regentctl} with the same configuration file patronictl reads. */
  static String regentctl(String... args) throws Exception {
    Path launcher =
        Path.of(System.getProperty("regent.ctl.bin", "../bin/regentctl")).toAbsolutePath();
    List<String> cmd =
        new ArrayList<>(List.of(launcher.toString(), "-c", patronictlConfig().toString()));
    cmd.addAll(List.of(args));
    return run(cmd, Map.of("JAVA_HOME", System.getProperty("java.home")), 5);
  }

  @Test
  void regentctlListsAndSwitchesOverTheCluster() throws Exception {
    awaitHealthy();
    String old = leader().orElseThrow();
    String next = other(old);
    // The list reads the member keys, which a member rewrites once a loop: a member that just
    // moved to the new timeline says so in its key within a loop of saying so over REST.
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              String json = regentctl("list", "-f", "json");
              JsonNode rows = JSON.readTree(json.substring(json.indexOf('[')));
              assertThat(rows).hasSize(3);
              for (JsonNode row : rows) {
                String name = row.path("Member").asText();
                assertThat(row.path("Role").asText())
                    .isEqualTo(name.equals(old) ? "Leader" : "Replica");
                assertThat(row.path("State").asText())
                    .isEqualTo(name.equals(old) ? "running" : "streaming");
                assertThat(row.path("TL").asLong())
                    .isEqualTo(agents.get(name).patroni().orElseThrow().path("timeline").asLong());
              }
            });
    String out = regentctl("switchover", "--leader", old, "--candidate", next, "--force");
    // each step as the store showed it, in order, then the outcome the store shows
    assertThat(out)
        .containsSubsequence(
            " requested: the store holds the switchover request",
            " candidate chosen: " + next + " (requested)",
            " candidate promoting: " + next + " took the leader lock and promotes",
            " new leader holds the lock: " + next + " holds the leader lock and runs as primary",
            " old leader rejoining: " + old + " rejoined as a replica",
            "Switched over to \"" + next + "\": the store shows it leading on timeline ")
        .doesNotContainIgnoringCase("unknown");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().map(next::equals).orElse(false));
    awaitHealthy();
  }

  @Test
  void aSwitchoverRightAfterTheLeaderRestartedWaitsForTheCandidateToStreamAgain() throws Exception {
    awaitHealthy();
    String old = leader().orElseThrow();
    String next = other(old);
    RegentAgent.Answer restarted = agents.get(old).send("POST", "/restart", "{}", CALL);
    assertThat(restarted.status()).as(restarted.body()).isEqualTo(200);
    // The standbys reconnect to the restarted primary only after their
    // wal_retrieve_retry_interval (5 s): a switchover asked for at once must still go through.
    switchOver(old, next);
    awaitHealthy();
  }
}
