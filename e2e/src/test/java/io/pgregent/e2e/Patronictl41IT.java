package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.yaml.snakeyaml.Yaml;

/**
 * Patroni 4.1's own command line ({@code patronictl} 4.1.5 from PyPI) drives a two-member Regent
 * cluster (one cluster for the class, real etcd and PostgreSQL): every command, its output parsed
 * and checked against the store and the members. Each case starts from a healthy cluster, whoever
 * leads, and puts back what it changed; {@code remove} waits until the running members wrote the
 * store whole again. demote-cluster and promote-cluster run in StandbyClusterIT, which has two
 * clusters.
 */
@Timeout(900)
class Patronictl41IT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> Patronictl41IT.agents, RegentAgent::logTail);

  private static final String SCOPE = "ctl41";
  private static final String PREFIX = "/service/" + SCOPE + "/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LSN = Pattern.compile("[0-9A-F]+/[0-9A-F]+");
  private static final DateTimeFormatter AT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");
  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    Assumptions.assumeTrue(Patroni41.unavailableReason() == null, Patroni41.unavailableReason());
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-ctl41");
    for (String name : List.of("pg0", "pg1")) {
      agents.put(
          name, new RegentAgent(base, SCOPE, name, "127.0.0.1:" + etcd.clientPort(), Map.of()));
    }
    agents.values().forEach(RegentAgent::start);
    awaitHealthy();
  }

  @AfterAll
  static void stopCluster() {
    if (etcd != null) {
      Members.stopAll(agents.values(), etcd, base);
    }
  }

  @BeforeEach
  void startFromAHealthyCluster() {
    awaitHealthy();
  }

  // ---- helpers ----

  static Optional<String> leader() {
    return Members.leader(agents);
  }

  static List<String> replicas() {
    String l = leader().orElseThrow();
    return agents.keySet().stream().filter(n -> !n.equals(l)).toList();
  }

  /**
   * One leader, the others streaming, the cluster's system identifier and configuration in the
   * store (a {@code remove} wiped them until the leader wrote them again), no request pending, no
   * pause.
   */
  static void awaitHealthy() {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                Members.healthy(agents)
                    && etcd.get(PREFIX + "initialize").isPresent()
                    && etcd.get(PREFIX + "config").isPresent()
                    && etcd.get(PREFIX + "failover").map(v -> v.equals("{}")).orElse(true)
                    && !etcd.get(PREFIX + "config").orElse("").contains("\"pause\":true"));
  }

  static void awaitLeader(String member) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leader().map(member::equals).orElse(false));
  }

  static JsonNode json(String text) throws Exception {
    return JSON.readTree(text);
  }

  static JsonNode storeJson(String key) throws Exception {
    return JSON.readTree(etcd.get(PREFIX + key).orElseThrow());
  }

  static Path ctlConfig() throws Exception {
    return Patroni41.ctlConfig(base, SCOPE, etcd.clientPort());
  }

  /** Runs patronictl 4.1 with {@code stdin}; returns its output once it exited 0. */
  static String ctlWithInput(String stdin, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of(Patroni41.patronictl().toString(), "-c", ctlConfig().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // query connects with libpq, which reads the password from here.
    pb.environment().put("PGPASSWORD", "su-secret");
    Process p = pb.start();
    try {
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
      assertThat(p.exitValue()).as("%s: %s", String.join(" ", cmd), out).isZero();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  static String ctl(String... args) throws Exception {
    return ctlWithInput(null, args);
  }

  static JsonNode listRow(String member) throws Exception {
    for (JsonNode row : json(ctl("list", "-f", "json"))) {
      if (row.path("Member").asText().equals(member)) {
        return row;
      }
    }
    throw new AssertionError("patronictl list has no row for " + member);
  }

  static String in(int seconds) {
    return OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(seconds).format(AT);
  }

  // ---- reading the cluster ----

  @Test
  void listShowsEveryMemberWithTheColumnsOfPatroni41() throws Exception {
    String current = leader().orElseThrow();
    String sysid = etcd.get(PREFIX + "initialize").orElseThrow();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode list = json(ctl("list", "-f", "json"));
              assertThat(list).hasSize(agents.size());
              for (JsonNode row : list) {
                String name = row.path("Member").asText();
                RegentAgent a = agents.get(name);
                assertThat(row.path("Cluster").asText()).isEqualTo(SCOPE);
                assertThat(row.path("Host").asText()).isEqualTo("127.0.0.1:" + a.pgPort());
                assertThat(row.path("TL").asLong())
                    .isEqualTo(a.patroni().orElseThrow().path("timeline").asLong());
                if (name.equals(current)) {
                  assertThat(row.path("Role").asText()).isEqualTo("Leader");
                  assertThat(row.path("State").asText()).isEqualTo("running");
                  assertThat(row.has("Receive LSN")).isFalse();
                } else {
                  assertThat(row.path("Role").asText()).isEqualTo("Replica");
                  assertThat(row.path("State").asText()).isEqualTo("streaming");
                  assertThat(row.path("Receive LSN").asText()).matches(LSN);
                  assertThat(row.path("Replay LSN").asText()).matches(LSN);
                  assertThat(row.path("Receive Lag").asLong()).isZero();
                  assertThat(row.path("Replay Lag").asLong()).isZero();
                }
              }
            });
    String table = ctl("list");
    assertThat(table.lines().findFirst().orElseThrow())
        .contains("Cluster: " + SCOPE + " (" + sysid + ")");
    assertThat(table)
        .contains("| Member | Host ")
        .contains("| TL | Receive LSN | Lag | Replay LSN | Lag |")
        .containsPattern("\\| " + current + " +\\| 127\\.0\\.0\\.1:\\d+ +\\| Leader +\\| running ");
  }

  @Test
  void topologyDrawsTheReplicasUnderTheLeader() throws Exception {
    String current = leader().orElseThrow();
    List<String> rows =
        ctl("topology")
            .lines()
            .filter(l -> l.startsWith("| ") && !l.startsWith("| Member"))
            .toList();
    assertThat(rows).hasSize(agents.size());
    assertThat(rows.get(0)).startsWith("| " + current + " ").contains("| Leader ");
    for (String r : rows.subList(1, rows.size())) {
      assertThat(r).startsWith("| + pg").contains("| Replica ").contains("| streaming ");
    }
  }

  @Test
  void versionNamesPatronictlAndEachMembersPatroniAndPostgresVersions() throws Exception {
    String out = ctl("version", SCOPE);
    assertThat(out).startsWith("patronictl version " + Patroni41.VERSION);
    for (String name : agents.keySet()) {
      assertThat(out).containsPattern("(?m)^" + name + ": Patroni 4\\.1\\.4 PostgreSQL 15\\.\\d+$");
    }
  }

  @Test
  void dsnNamesTheLeaderOrTheGivenMember() throws Exception {
    String current = leader().orElseThrow();
    String replica = replicas().get(0);
    assertThat(ctl("dsn").strip()).isEqualTo("host=127.0.0.1 port=" + agents.get(current).pgPort());
    assertThat(ctl("dsn", "-m", replica).strip())
        .isEqualTo("host=127.0.0.1 port=" + agents.get(replica).pgPort());
  }

  @Test
  void queryRunsOnTheLeaderOrTheGivenMember() throws Exception {
    String replica = replicas().get(0);
    String sql = "SELECT pg_is_in_recovery() AS r, current_setting('port') AS p";
    JsonNode onLeader = json(ctl("query", "-U", "postgres", "-c", sql, "--format", "json"));
    assertThat(onLeader).hasSize(1);
    assertThat(onLeader.get(0).path("r").asBoolean()).isFalse();
    assertThat(onLeader.get(0).path("p").asInt())
        .isEqualTo(agents.get(leader().orElseThrow()).pgPort());
    JsonNode onReplica =
        json(ctl("query", "-U", "postgres", "-m", replica, "-c", sql, "--format", "json"));
    assertThat(onReplica.get(0).path("r").asBoolean()).isTrue();
    assertThat(onReplica.get(0).path("p").asInt()).isEqualTo(agents.get(replica).pgPort());
  }

  @Test
  void showConfigPrintsTheStoredDynamicConfiguration() throws Exception {
    Object yaml = new Yaml().load(ctl("show-config"));
    JsonNode shown = JSON.valueToTree(yaml);
    assertThat(shown).isEqualTo(storeJson("config"));
    assertThat(shown.path("ttl").asInt()).isEqualTo(10);
  }

  // ---- changing the configuration ----

  @Test
  void editConfigChangesAParameterThatEveryMemberApplies() throws Exception {
    String out = ctl("edit-config", "--force", "-p", "work_mem=8MB");
    assertThat(out).contains("+    work_mem: 8MB").contains("Configuration changed");
    assertThat(storeJson("config").path("postgresql").path("parameters").path("work_mem").asText())
        .isEqualTo("8MB");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> agents.values().stream().allMatch(a -> "8MB".equals(show(a, "work_mem"))));
    out = ctl("edit-config", "--force", "-s", "postgresql.parameters.work_mem=null");
    assertThat(out).contains("-    work_mem: 8MB").contains("Configuration changed");
    assertThat(storeJson("config").path("postgresql").path("parameters").has("work_mem")).isFalse();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> agents.values().stream().allMatch(a -> "4MB".equals(show(a, "work_mem"))));
  }

  static String show(RegentAgent a, String setting) {
    return a.queryValue("SHOW " + setting).orElse(null);
  }

  @Test
  void reloadIsReceivedByEveryMember() throws Exception {
    String out = ctl("reload", SCOPE, "--force");
    for (String name : agents.keySet()) {
      assertThat(out)
          .contains(
              "Reload request received for member "
                  + name
                  + " and will be processed within 2 seconds");
    }
  }

  @Test
  void pauseAndResumeWaitUntilEveryMemberSawThem() throws Exception {
    assertThat(ctl("pause", "--wait")).contains("Success: cluster management is paused");
    assertThat(storeJson("config").path("pause").asBoolean()).isTrue();
    // --wait returned: every member already says so.
    for (RegentAgent a : agents.values()) {
      assertThat(a.patroni().orElseThrow().path("pause").asBoolean()).isTrue();
    }
    assertThat(ctl("list")).contains(" Maintenance mode: on");
    assertThat(ctl("resume", "--wait")).contains("Success: cluster management is resumed");
    assertThat(storeJson("config").path("pause").asBoolean(false)).isFalse();
    for (RegentAgent a : agents.values()) {
      assertThat(a.patroni().orElseThrow().path("pause").asBoolean(false)).isFalse();
    }
    assertThat(ctl("list")).doesNotContain("Maintenance mode");
  }

  // ---- restarts ----

  @Test
  void restartRestartsTheGivenMembersPostgres() throws Exception {
    String replica = replicas().get(0);
    RegentAgent a = agents.get(replica);
    String started = a.patroni().orElseThrow().path("postmaster_start_time").asText();
    assertThat(ctl("restart", SCOPE, replica, "--force"))
        .contains("Success: restart on member " + replica);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                Members.streaming(a)
                    && !a.patroni()
                        .orElseThrow()
                        .path("postmaster_start_time")
                        .asText()
                        .equals(started));
  }

  @Test
  void aScheduledRestartIsListedAndFlushed() throws Exception {
    String replica = replicas().get(0);
    String at = in(3600);
    assertThat(ctl("restart", SCOPE, replica, "--force", "--scheduled", at))
        .contains("Success: restart scheduled on member " + replica);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        OffsetDateTime.parse(listRow(replica).path("Scheduled restart").asText())
                            .toInstant())
                    .isEqualTo(OffsetDateTime.parse(at).toInstant()));
    assertThat(ctl("flush", SCOPE, replica, "restart", "--force"))
        .contains("Success: flush scheduled restart for member " + replica);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(listRow(replica).has("Scheduled restart")).isFalse());
  }

  @Test
  void reinitWaitsUntilTheReplicaIsCreatedAgain() throws Exception {
    String replica = replicas().get(0);
    RegentAgent a = agents.get(replica);
    Set<String> states = ConcurrentHashMap.newKeySet();
    AtomicBoolean watching = new AtomicBoolean(true);
    Thread watcher =
        new Thread(
            () -> {
              while (watching.get()) {
                a.patroni().ifPresent(j -> states.add(j.path("state").asText()));
              }
            });
    watcher.start();
    String out;
    try {
      out = ctl("reinit", SCOPE, replica, "--force", "--wait");
    } finally {
      watching.set(false);
      watcher.join();
    }
    assertThat(out)
        .contains("Success: reinitialize for member " + replica)
        .contains("Waiting for reinitialize to complete on: " + replica)
        .contains("Reinitialize is completed on: " + replica);
    // The member said "creating replica" while it copied the leader's data, and the copy was done
    // when --wait returned.
    assertThat(states).contains("creating replica");
    assertThat(a.log()).contains("reinitialized this replica from");
    await().atMost(Duration.ofSeconds(60)).until(() -> Members.streaming(a));
  }

  // ---- moving the leader ----

  @Test
  void switchoverNowMovesTheLeaderAndHistoryRecordsIt() throws Exception {
    String old = leader().orElseThrow();
    String next = replicas().get(0);
    String out = ctl("switchover", "--leader", old, "--candidate", next, "--force");
    assertThat(out).contains("Successfully switched over to \"" + next + "\"");
    awaitLeader(next);
    awaitHealthy();
    JsonNode history = json(ctl("history", "-f", "json"));
    JsonNode last = history.get(history.size() - 1);
    assertThat(last.path("New Leader").asText()).isEqualTo(next);
    assertThat(last.path("TL").asLong())
        .isEqualTo(agents.get(next).patroni().orElseThrow().path("timeline").asLong() - 1);
    assertThat(last.path("LSN").asLong()).isPositive();
    assertThat(last.path("Reason").asText()).isNotBlank();
    assertThat(OffsetDateTime.parse(last.path("Timestamp").asText())).isNotNull();
    // The same rows as the store's history key, which Patroni writes as [tl, lsn, reason, ts, new].
    JsonNode stored = storeJson("history");
    assertThat(history).hasSize(stored.size());
    for (int i = 0; i < stored.size(); i++) {
      assertThat(history.get(i).path("TL").asLong()).isEqualTo(stored.get(i).get(0).asLong());
      assertThat(history.get(i).path("LSN").asLong()).isEqualTo(stored.get(i).get(1).asLong());
      assertThat(history.get(i).path("New Leader").asText())
          .isEqualTo(stored.get(i).get(4).asText());
    }
    String table = ctl("history");
    assertThat(table).contains("| TL |").contains("| New Leader |").contains("| " + next + " ");
  }

  @Test
  void aScheduledSwitchoverIsListedAndHappensAtItsTime() throws Exception {
    String old = leader().orElseThrow();
    String next = replicas().get(0);
    String out =
        ctl("switchover", "--leader", old, "--candidate", next, "--force", "--scheduled", in(12));
    assertThat(out).contains("Switchover scheduled");
    JsonNode request = storeJson("failover");
    assertThat(request.path("leader").asText()).isEqualTo(old);
    assertThat(request.path("member").asText()).isEqualTo(next);
    assertThat(request.path("scheduled_at").asText()).isNotBlank();
    assertThat(ctl("list"))
        .contains(" Switchover scheduled at: ")
        .containsPattern("from: " + old)
        .containsPattern("to: " + next);
    assertThat(leader()).contains(old);
    awaitLeader(next);
    awaitHealthy();
  }

  @Test
  void aScheduledSwitchoverIsFlushed() throws Exception {
    String old = leader().orElseThrow();
    String next = replicas().get(0);
    ctl("switchover", "--leader", old, "--candidate", next, "--force", "--scheduled", in(3600));
    assertThat(storeJson("failover").path("scheduled_at").asText()).isNotBlank();
    assertThat(ctl("flush", SCOPE, "switchover", "--force"))
        .contains("Success: scheduled switchover deleted");
    assertThat(etcd.get(PREFIX + "failover").map(v -> v.equals("{}")).orElse(true)).isTrue();
    assertThat(ctl("list")).doesNotContain("Switchover scheduled");
    assertThat(leader()).contains(old);
  }

  @Test
  void failoverToACandidateMovesTheLeader() throws Exception {
    String next = replicas().get(0);
    String out = ctl("failover", "--candidate", next, "--force");
    assertThat(out).contains("Successfully failed over to \"" + next + "\"");
    awaitLeader(next);
    awaitHealthy();
  }

  // ---- wiping the store ----

  @Test
  void removeWipesTheClusterAndTheRunningMembersPublishThemselvesAgain() throws Exception {
    String current = leader().orElseThrow();
    String out = ctlWithInput(SCOPE + "\nYes I am aware\n" + current + "\n", "remove", SCOPE);
    assertThat(out)
        .contains("Please confirm the cluster name to remove:")
        .contains("This cluster currently is healthy. Please specify the leader name to continue:");
    // Gone at once; the running members write their keys again within a few cycles and the
    // leader keeps its PostgreSQL (same system identifier, no new timeline).
    long timeline = agents.get(current).patroni().orElseThrow().path("timeline").asLong();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              for (String name : agents.keySet()) {
                assertThat(etcd.get(PREFIX + "members/" + name)).as(name).isPresent();
              }
              assertThat(etcd.get(PREFIX + "leader")).contains(current);
              assertThat(etcd.get(PREFIX + "config")).isPresent();
            });
    Matcher m =
        Pattern.compile("\"timeline\":(\\d+)")
            .matcher(etcd.get(PREFIX + "members/" + current).orElseThrow());
    assertThat(m.find()).isTrue();
    assertThat(Long.parseLong(m.group(1))).isEqualTo(timeline);
    // Whole again, as every case starts: the leader wrote the system identifier back too.
    awaitHealthy();
    assertThat(json(ctl("list", "-f", "json"))).hasSize(agents.size());
  }
}
