package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FaultProxy;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * Three agents as separate processes, each with its own PostgreSQL, through a real etcd. {@code
 * pg2} is tagged nofailover. The cases share one cluster and each starts from it whole: bootstrap,
 * replication, a crash of the leader's machine (agent and postmaster killed), the crashed member's
 * rejoin, pause, a SIGTERM hand-over, a leader cut off from the store, and failsafe mode.
 */
@Timeout(600)
class ThreeMemberClusterIT {

  /** On a failure, the agents' last log lines say what they were doing. */
  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> ThreeMemberClusterIT.agents, RegentAgent::logTail);

  private static final String SCOPE = "e2e";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  /** Each agent reaches etcd through its own proxy, so one member can be cut off. */
  private static final Map<String, FaultProxy> proxies = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-e2e");
    for (String name : List.of("pg0", "pg1", "pg2")) {
      FaultProxy proxy = FaultProxy.to("127.0.0.1", etcd.clientPort());
      proxies.put(name, proxy);
      Map<String, Object> tags = name.equals("pg2") ? Map.of("nofailover", true) : Map.of();
      agents.put(name, new RegentAgent(base, SCOPE, name, proxy.hostAndPort(), tags));
    }
    agents.values().forEach(RegentAgent::start);
  }

  @AfterAll
  static void stopCluster() {
    try {
      Members.stopAll(agents.values(), etcd, base);
    } finally {
      proxies.values().forEach(FaultProxy::close);
    }
  }

  // ---- helpers ----

  static List<String> primaries() {
    return Members.primaries(agents);
  }

  static Optional<String> leader() {
    return Members.leader(agents);
  }

  static boolean streaming(String member) {
    return Members.streaming(agents.get(member));
  }

  static long count(String member) {
    return Members.count(agents.get(member), "regent_e2e");
  }

  /** Writes {@code n} rows on {@code leader}; returns how many rows the table holds then. */
  static long write(String leader, int n) throws Exception {
    return Members.write(agents.get(leader), "regent_e2e", n);
  }

  /**
   * Every case starts from the whole cluster up: each agent running, linked to the store, no pause
   * or failsafe mode, one leader and two streaming replicas, whatever the case before left.
   */
  @BeforeEach
  void startFromAHealthyCluster() throws Exception {
    proxies.values().forEach(FaultProxy::restore);
    long restored = Instant.now().getEpochSecond() + 1;
    agents.values().stream().filter(a -> !a.isAlive()).forEach(RegentAgent::start);
    Optional<String> stored = etcd.get("/service/e2e/config");
    if (stored.isPresent()) {
      ObjectNode config = (ObjectNode) JSON.readTree(stored.get());
      if (config.has("pause") || config.has("failsafe_mode")) {
        config.remove("pause");
        config.remove("failsafe_mode");
        etcd.put("/service/e2e/config", JSON.writeValueAsString(config));
      }
    }
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                Members.healthy(agents)
                    && agents.values().stream()
                        .allMatch(a -> Members.readTheStoreSince(a, restored)));
  }

  /** The failover-eligible member (pg0 or pg1) that is not {@code member}. */
  static String otherEligible(String member) {
    return member.equals("pg0") ? "pg1" : "pg0";
  }

  /** Waits until {@code member} holds {@code rows} rows: what the leader wrote reached it. */
  static void awaitRows(String member, long rows) {
    await().atMost(Duration.ofSeconds(60)).until(() -> count(member) == rows);
  }

  /** Waits until {@code member} (restarted or reconnected) streams from the leader again. */
  static void awaitStreaming(String member) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> streaming(member));
  }

  static void awaitLeaderAndStreaming(List<String> replicas) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().isPresent() && replicas.stream().allMatch(r -> streaming(r)));
  }

  /** Whether the member's PostgreSQL accepts connections and is not in recovery. */
  static boolean writable(String member) {
    return agents.get(member).writable();
  }

  static String describe() {
    return AgentLogs.tails(agents, RegentAgent::logTail);
  }

  // ---- cases ----

  @Test
  void bootstrapsOneLeaderAndTwoStreamingReplicas() throws Exception {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().isPresent());
    String leader = leader().orElseThrow();
    assertThat(leader).as("a nofailover member never bootstraps").isNotEqualTo("pg2");
    List<String> replicas = agents.keySet().stream().filter(n -> !n.equals(leader)).toList();
    awaitLeaderAndStreaming(replicas);
    // The store holds Patroni's layout.
    assertThat(etcd.get("/service/e2e/leader")).contains(leader);
    assertThat(etcd.get("/service/e2e/initialize"))
        .hasValueSatisfying(v -> assertThat(v).matches("\\d+"));
    ObjectNode member =
        (ObjectNode) JSON.readTree(etcd.get("/service/e2e/members/" + leader).orElseThrow());
    assertThat(member.path("role").asText()).isEqualTo("primary");
    assertThat(member.path("version").asText()).isEqualTo("4.1.4");
    assertThat(member.path("api_url").asText())
        .isEqualTo("http://127.0.0.1:" + agents.get(leader).apiPort + "/patroni");
  }

  @Test
  void aRowWrittenOnTheLeaderReachesBothReplicas() throws Exception {
    String leader = leader().orElseThrow();
    long rows = write(leader, 10);
    for (String m : agents.keySet()) {
      awaitRows(m, rows);
    }
  }

  @Test
  void aCrashedLeaderIsReplacedAndRejoinsAsAReplica() throws Exception {
    String old = leader().orElseThrow();
    String next = otherEligible(old);
    agents.get(old).crash();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .failFast(
            "the nofailover member was promoted", () -> agents.get("pg2").status("/primary") == 200)
        .until(() -> leader().map(next::equals).orElse(false));
    long rows = write(next, 5);
    awaitRows("pg2", rows);
    // The REST snapshot follows within a loop.
    await().atMost(Duration.ofSeconds(30)).until(() -> streaming("pg2"));
    // The crashed member comes back as a replica of the new leader.
    agents.get(old).start();
    awaitStreaming(old);
    long more = write(next, 5);
    awaitRows(old, more);
    assertThat(leader()).contains(next);
  }

  @Test
  void pauseStopsFailover() throws Exception {
    String current = leader().orElseThrow();
    String other = otherEligible(current);
    ObjectNode config = (ObjectNode) JSON.readTree(etcd.get("/service/e2e/config").orElseThrow());
    config.put("pause", true);
    etcd.put("/service/e2e/config", JSON.writeValueAsString(config));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> agents.get(other).patroni().map(j -> j.path("pause").asBoolean()).orElse(false));
    agents.get(current).crash();
    // Well past the lock's ttl, nobody is promoted.
    await()
        .during(Duration.ofSeconds(20))
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> primaries().isEmpty());
    // Resume: the other eligible member takes over.
    config.remove("pause");
    etcd.put("/service/e2e/config", JSON.writeValueAsString(config));
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> leader().map(other::equals).orElse(false));
    agents.get(current).start();
    awaitStreaming(current);
  }

  @Test
  void sigtermOfTheLeadersAgentHandsOverAtOnce() throws Exception {
    String current = leader().orElseThrow();
    String other = otherEligible(current);
    agents.get(current).stop();
    // The lock is released at shutdown: no waiting for the ttl.
    await()
        .atMost(Duration.ofSeconds(8))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leader().map(other::equals).orElse(false));
    long rows = write(other, 1);
    awaitRows("pg2", rows);
  }

  @Test
  void aLeaderCutOffFromTheStoreStopsBeingWritableBeforeAnotherIsPromoted() throws Exception {
    String current = leader().orElseThrow();
    String other = otherEligible(current);
    awaitLeaderAndStreaming(List.of(other, "pg2"));

    proxies.get(current).cut();
    long cutAt = System.nanoTime();
    long[] oldStoppedWritingAt = {0};
    long[] newWritableAt = {0};
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              boolean oldWritable = writable(current);
              boolean newWritable = writable(other);
              assertThat(oldWritable && newWritable)
                  .as(() -> "two writable primaries at once" + describe())
                  .isFalse();
              if (!oldWritable && oldStoppedWritingAt[0] == 0) {
                oldStoppedWritingAt[0] = System.nanoTime();
              }
              if (newWritable && newWritableAt[0] == 0) {
                newWritableAt[0] = System.nanoTime();
              }
              return newWritable && leader().map(other::equals).orElse(false);
            });
    assertThat(oldStoppedWritingAt[0]).isPositive().isLessThan(newWritableAt[0]);
    assertThat(Duration.ofNanos(oldStoppedWritingAt[0] - cutAt))
        .as("the cut-off leader demotes within ttl, before its lock can expire")
        .isLessThan(Duration.ofSeconds(10));
    long rows = write(other, 1);
    awaitRows("pg2", rows);

    // Back in touch with the store, the old leader rejoins as a replica.
    proxies.get(current).restore();
    awaitStreaming(current);
    awaitRows(current, rows);
  }

  @Test
  void inFailsafeModeTheLeaderOutlivesTheStoreOnlyWhileEveryMemberAgrees() throws Exception {
    String current = leader().orElseThrow();
    String other = otherEligible(current);
    awaitLeaderAndStreaming(List.of(other, "pg2"));
    ObjectNode config = (ObjectNode) JSON.readTree(etcd.get("/service/e2e/config").orElseThrow());
    config.put("failsafe_mode", true);
    etcd.put("/service/e2e/config", JSON.writeValueAsString(config));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                etcd.get("/service/e2e/failsafe")
                    .map(v -> v.contains("pg0") && v.contains("pg1") && v.contains("pg2"))
                    .orElse(false));

    // The store goes away for everyone: every member vouches for the leader, which stays.
    proxies.values().forEach(FaultProxy::cut);
    await()
        .during(Duration.ofSeconds(15))
        .atMost(Duration.ofSeconds(25))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> writable(current) && !writable(other) && !writable("pg2"));

    // One member stops answering: the leader can no longer prove it is alone, and demotes.
    agents.get("pg2").stop();
    await().atMost(Duration.ofSeconds(30)).until(() -> !writable(current));
    assertThat(writable(other)).isFalse();

    // The store returns: one leader again, and the stopped member rejoins.
    proxies.values().forEach(FaultProxy::restore);
    agents.get("pg2").start();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().isPresent() && streaming("pg2"));
    config.remove("failsafe_mode");
    etcd.put("/service/e2e/config", JSON.writeValueAsString(config));
  }
}
