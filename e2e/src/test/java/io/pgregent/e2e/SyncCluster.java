package io.pgregent.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/** Agents as processes against one etcd, for the synchronous replication cases. */
final class SyncCluster implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final EtcdServer etcd;
  final Path base;
  final String scope;
  final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  SyncCluster(String scope, Map<String, Map<String, Object>> members, int ttl) {
    this.scope = scope;
    this.etcd = EtcdServer.start();
    this.base = PostgresTestEnvironment.newBaseDir("regent-" + scope);
    members.forEach(
        (name, tags) ->
            agents.put(
                name,
                new RegentAgent(
                    base, scope, name, "127.0.0.1:" + etcd.clientPort(), tags, ttl, 1, 3)));
  }

  void start() {
    agents.values().forEach(RegentAgent::start);
  }

  RegentAgent agent(String name) {
    return agents.get(name);
  }

  Optional<String> leader() {
    List<String> primaries =
        agents.entrySet().stream()
            .filter(e -> e.getValue().isAlive() && e.getValue().status("/primary") == 200)
            .map(Map.Entry::getKey)
            .toList();
    if (primaries.size() > 1) {
      throw new AssertionError("two members answer 200 on /primary: " + primaries);
    }
    return primaries.stream().findFirst();
  }

  boolean streaming(String name) {
    RegentAgent a = agents.get(name);
    return a.status("/replica") == 200
        && a.patroni()
            .map(j -> j.path("replication_state").asText().equals("streaming"))
            .orElse(false);
  }

  /** The {@code sync} key as stored, empty when absent. */
  Optional<JsonNode> syncKey() {
    return etcd.get("/service/" + scope + "/sync")
        .map(
            v -> {
              try {
                return JSON.readTree(v);
              } catch (Exception e) {
                throw new IllegalStateException(v, e);
              }
            });
  }

  /** The standbys (or voters) the sync key names, with the leader it names first. */
  List<String> syncStandbys() {
    return syncKey()
        .map(k -> k.path("sync_standby"))
        .filter(JsonNode::isTextual)
        .map(n -> List.of(n.asText().split(",")))
        .orElse(List.of());
  }

  String syncLeader() {
    return syncKey().map(k -> k.path("leader").asText()).orElse("");
  }

  /** PATCH /config on a member, as patronictl edit-config does. */
  void patchConfig(String json) throws Exception {
    String member = leader().orElseThrow();
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + agents.get(member).apiPort + "/config"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("PATCH /config: " + r.statusCode() + " " + r.body());
    }
  }

  /** {@code pg_stat_replication} of a member: application_name to sync_state. */
  Map<String, String> syncStates(String member) {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection c = agents.get(member).connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT application_name, sync_state FROM pg_stat_replication")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    } catch (Exception e) {
      return Map.of();
    }
    return out;
  }

  Set<Long> ids(String member) throws Exception {
    return new TreeSet<>(agents.get(member).queryLongs("SELECT id FROM acked"));
  }

  String multiHostUrl() {
    return "jdbc:postgresql://"
        + agents.values().stream()
            .map(a -> "127.0.0.1:" + a.pgPort)
            .collect(Collectors.joining(","))
        + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=3&loginTimeout=2";
  }

  void awaitLeaderAndStreaming(Duration bound) {
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Optional<String> l = leader();
              return l.isPresent()
                  && agents.keySet().stream()
                      .filter(n -> !n.equals(l.get()))
                      .allMatch(this::streaming);
            });
  }

  String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("\nsync key: ").append(syncKey().map(JsonNode::toString).orElse("absent"));
    sb.append(AgentLogs.tails(agents, RegentAgent::logTail));
    return sb.toString();
  }

  @Override
  public void close() {
    Members.stopAll(agents.values(), etcd, base);
  }

  /**
   * Commits numbered rows, one per transaction, through a URL that finds the primary; records a
   * number only once its commit returned. A failed commit is not acknowledged, whatever happened to
   * it.
   */
  static final class Writer implements AutoCloseable {
    final Set<Long> acknowledged = new ConcurrentSkipListSet<>();
    private final String url;
    private final Thread thread;
    private volatile boolean running = true;
    private long next = 1;

    Writer(String url) {
      this.url = url;
      this.thread = new Thread(this::run, "acked-writer");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      while (running) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "su-secret");
            Statement st = c.createStatement()) {
          st.execute("CREATE TABLE IF NOT EXISTS acked (id bigint primary key)");
          while (running) {
            long id = next++;
            st.execute("INSERT INTO acked VALUES (" + id + ")");
            acknowledged.add(id);
          }
        } catch (Exception e) {
          // No primary reachable right now: try again shortly.
          LockSupport.parkNanos(50_000_000);
        }
      }
    }

    /** The acknowledged rows so far. */
    Set<Long> snapshot() {
      return new TreeSet<>(acknowledged);
    }

    int count() {
      return acknowledged.size();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }

  static List<Long> missing(Set<Long> acknowledged, Set<Long> present) {
    List<Long> out = new ArrayList<>();
    for (Long id : acknowledged) {
      if (!present.contains(id)) {
        out.add(id);
      }
    }
    return out;
  }
}
