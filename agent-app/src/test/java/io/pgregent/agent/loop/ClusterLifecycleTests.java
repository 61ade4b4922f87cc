package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Three agents in one JVM, each with its own real PostgreSQL, through a real etcd: bootstrap,
 * replication, and a clean hand-over when the leader's agent stops. (Crashes, with agents as
 * separate processes, are the e2e module's.)
 */
@Timeout(300)
class ClusterLifecycleTests {

  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, AgentConfig> configs = new LinkedHashMap<>();
  private static final Map<String, ConfigurableApplicationContext> agents = new LinkedHashMap<>();
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @BeforeAll
  static void startCluster() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-cluster");
    for (String name : List.of("pg0", "pg1", "pg2")) {
      AgentConfig c =
          TestMembers.member(
              base, "lifecycle", name, "127.0.0.1:" + etcd.clientPort(), Tags.none());
      configs.put(name, c);
      agents.put(name, RegentApplication.run(c));
    }
  }

  @AfterAll
  static void stopCluster() {
    TestMembers.stopAll(etcd, base, agents.values());
  }

  static int status(String member, String path) {
    AgentConfig c = configs.get(member);
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://" + c.restapi().connectAddress() + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static List<String> running() {
    return agents.entrySet().stream()
        .filter(e -> e.getValue().isActive())
        .map(Map.Entry::getKey)
        .toList();
  }

  static Optional<String> leader() {
    List<String> leaders = new ArrayList<>();
    for (String m : running()) {
      if (status(m, "/primary") == 200) {
        leaders.add(m);
      }
    }
    assertThat(leaders).as("members answering 200 on /primary").hasSizeLessThanOrEqualTo(1);
    return leaders.stream().findFirst();
  }

  static Connection connect(String member) throws Exception {
    return TestMembers.connect(configs.get(member).postgresql().connectAddress());
  }

  static long count(String member) {
    return TestMembers.count(configs.get(member).postgresql().connectAddress(), "regent_test");
  }

  /**
   * Bootstrap, replication, a crash and a hand-over: each step starts from the cluster the one
   * before left.
   */
  @Test
  @Timeout(900)
  void threeAgentsFromBootstrapToHandOver() throws Exception {
    bootstrapsOneLeaderAndTwoStreamingReplicas();
    aRowWrittenOnTheLeaderReachesBothReplicas();
    theLeaderRestartsItsCrashedPostgresAndKeepsTheLock();
    stoppingTheLeadersAgentHandsOverToAReplica();
  }

  private void bootstrapsOneLeaderAndTwoStreamingReplicas() throws Exception {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                leader().isPresent()
                    && running().stream().filter(m -> status(m, "/replica") == 200).count() == 2);
    String leader = leader().orElseThrow();
    for (String m : running()) {
      assertThat(status(m, "/health")).isEqualTo(200);
      assertThat(status(m, "/replica")).isEqualTo(m.equals(leader) ? 503 : 200);
    }
    // bootstrap.dcs parameters are in force from the first start: no restart pending anywhere.
    for (String m : running()) {
      try (Connection c = connect(m);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT current_setting('max_connections'),"
                      + " (SELECT count(*) FROM pg_settings WHERE pending_restart)")) {
        rs.next();
        assertThat(rs.getString(1)).as(m).isEqualTo("30");
        assertThat(rs.getLong(2)).as(m).isZero();
      }
    }
  }

  private void aRowWrittenOnTheLeaderReachesBothReplicas() throws Exception {
    String leader = leader().orElseThrow();
    try (Connection c = connect(leader);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE regent_test (id int primary key)");
      st.execute("INSERT INTO regent_test SELECT generate_series(1, 100)");
    }
    for (String m : running()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> count(m) == 100);
    }
  }

  private void theLeaderRestartsItsCrashedPostgresAndKeepsTheLock() throws Exception {
    String leader = leader().orElseThrow();
    Path pidFile = configs.get(leader).postgresql().dataDir().resolve("postmaster.pid");
    long postmaster = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> ProcessHandle.of(postmaster).map(p -> !p.isAlive()).orElse(true));
    // Within primary_start_timeout the agent restarts it, and nobody else is promoted.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Optional<String> now = leader();
              assertThat(now.map(leader::equals).orElse(true)).as("leader kept").isTrue();
              return now.isPresent() && count(leader) == 100;
            });
    long restarted = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    assertThat(restarted).isNotEqualTo(postmaster);
  }

  private void stoppingTheLeadersAgentHandsOverToAReplica() throws Exception {
    String old = leader().orElseThrow();
    agents.get(old).close();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> leader().filter(l -> !l.equals(old)).isPresent());
    String next = leader().orElseThrow();
    // The promotion recorded the timeline it took, before it ran, beside Patroni's keys.
    String timeline;
    try (Connection c = connect(next);
        Statement st = c.createStatement();
        var rs =
            st.executeQuery(
                "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")) {
      rs.next();
      timeline = rs.getString(1);
    }
    assertThat(timeline).isEqualTo("2");
    assertThat(etcd.get("/service/lifecycle/regent-timeline")).contains(timeline);
    String other = running().stream().filter(m -> !m.equals(next)).findFirst().orElseThrow();
    try (Connection c = connect(next);
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO regent_test VALUES (101)");
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> count(other) == 101);
    assertThat(status(other, "/replica")).isEqualTo(200);
  }
}
