package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The README's migration runbook, run: a three-member Patroni 4.1 cluster in synchronous mode under
 * a steady writer becomes a three-member Regent cluster one member at a time (each replica: stop
 * Patroni, start Regent on the same data directory and ports; then a switchover to a Regent member;
 * then the last member). No acknowledged write is lost; the longest gap between acknowledged writes
 * is printed, and appended to {@code -Dregent.bench.out} when set (bench/migration.sh).
 */
@Timeout(2400)
class RollingMigration41IT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(
          () -> RollingMigration41IT.members, a -> a.process == null ? "" : a.process.logTail(40));

  private static final String SCOPE = "migrate41";
  private static final int TTL = 20;
  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, AgentProcess> members = new LinkedHashMap<>();

  /** A fresh three-member Patroni 4.1 cluster on a fresh etcd. */
  static void startPatroniCluster() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-migrate41");
    members.clear();
    for (String name : List.of("pg0", "pg1", "pg2")) {
      members.put(
          name, new PatroniAgent(Patroni41.patroni(), base, SCOPE, name, store(), TTL, 2, 3));
    }
    members.values().forEach(AgentProcess::start);
  }

  static void stopCluster() {
    if (etcd != null) {
      try {
        Members.stopAll(members.values(), etcd, base);
      } finally {
        etcd = null;
      }
    }
  }

  @AfterAll
  static void stop() {
    stopCluster();
  }

  static String store() {
    return "127.0.0.1:" + etcd.clientPort();
  }

  static Optional<String> leader() {
    return Members.leader(members);
  }

  static void awaitHealthy() {
    await()
        .atMost(Duration.ofSeconds(240))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Members.healthy(members, ClusterMember::streaming));
  }

  static int send(AgentProcess a, String method, String path, String body) throws Exception {
    return ClusterMember.HTTP
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.apiPort() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Stops the member's Patroni (which stops its PostgreSQL) and starts Regent in its place. */
  static void replaceWithRegent(String name) {
    AgentProcess old = members.get(name);
    old.close();
    RegentAgent regent = new RegentAgent(old, SCOPE, store(), TTL, 2, 3);
    members.put(name, regent);
    regent.start();
    awaitHealthy();
  }

  /**
   * Runs the migration once; {@code -Dregent.bench.runs=N} runs it N times (bench/migration.sh).
   */
  @Test
  void aPatroniClusterBecomesARegentClusterOneMemberAtATimeWithoutLosingAWrite() throws Exception {
    Assumptions.assumeTrue(Patroni41.unavailableReason() == null, Patroni41.unavailableReason());
    int runs = Integer.getInteger("regent.bench.runs", 1);
    for (int run = 1; run <= runs; run++) {
      startPatroniCluster();
      try {
        migrateOnce();
      } finally {
        stopCluster();
      }
    }
  }

  private static long switchoverFrom;
  private static long switchoverTo;

  /** The longest pause between consecutive acknowledged writes that overlaps [from, to]. */
  static long longestGap(Iterable<long[]> acked, long from, long to) {
    long longest = 0;
    long prev = Long.MIN_VALUE;
    for (long[] a : acked) {
      if (prev != Long.MIN_VALUE && a[1] >= from && prev <= to) {
        longest = Math.max(longest, a[1] - prev);
      }
      prev = a[1];
    }
    return longest;
  }

  static void migrateOnce() throws Exception {
    awaitHealthy();
    String first = leader().orElseThrow();
    assertThat(send(members.get(first), "PATCH", "/config", "{\"synchronous_mode\": true}"))
        .isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                etcd.get("/service/" + SCOPE + "/sync").orElse("").contains("sync_standby\":\"pg"));
    String url =
        "jdbc:postgresql://"
            + members.values().stream()
                .map(a -> "127.0.0.1:" + a.pgPort())
                .collect(Collectors.joining(","))
            + "/postgres?targetServerType=primary&connectTimeout=2&socketTimeout=10&loginTimeout=3";
    try (Connection c = DriverManager.getConnection(url, "postgres", "su-secret");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE migration_writes (id bigint primary key)");
    }
    ConcurrentLinkedQueue<long[]> acked = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              long next = 1;
              Connection c = null;
              while (writing.get()) {
                try {
                  if (c == null) {
                    c = DriverManager.getConnection(url, "postgres", "su-secret");
                  }
                  try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO migration_writes VALUES (" + next + ")");
                  }
                  acked.add(new long[] {next, System.nanoTime()});
                  next++;
                } catch (Exception e) {
                  // Not acknowledged: the next attempt writes the next id on a new connection.
                  next++;
                  try {
                    if (c != null) {
                      c.close();
                    }
                  } catch (Exception ignored) {
                    // the connection is gone anyway
                  }
                  c = null;
                }
              }
            },
            "migration-writer");
    writer.start();
    long started = System.nanoTime();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() > 20);
      // Replicas first, then a switchover to a Regent member, then the last member.
      for (String name : List.copyOf(members.keySet())) {
        if (!name.equals(first)) {
          replaceWithRegent(name);
        }
      }
      String target =
          members.keySet().stream().filter(n -> !n.equals(first)).findFirst().orElseThrow();
      switchoverFrom = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  send(
                          members.get(first),
                          "POST",
                          "/switchover",
                          "{\"leader\":\"" + first + "\",\"candidate\":\"" + target + "\"}")
                      == 200);
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> leader().map(target::equals).orElse(false));
      int acknowledged = acked.size();
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() > acknowledged + 20);
      switchoverTo = System.nanoTime();
      replaceWithRegent(first);
      int before = acked.size();
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() > before + 20);
    } finally {
      writing.set(false);
      writer.join();
    }
    double totalSeconds = (System.nanoTime() - started) / 1e9;
    assertThat(members.values()).allMatch(a -> a instanceof RegentAgent);
    // Every acknowledged write is on the Regent leader.
    String last = leader().orElseThrow();
    List<Long> ids = members.get(last).queryLongs("SELECT id FROM migration_writes");
    java.util.Set<Long> present = new java.util.HashSet<>(ids);
    List<Long> lost = acked.stream().map(a -> a[0]).filter(id -> !present.contains(id)).toList();
    assertThat(lost).as("acknowledged writes missing on the Regent leader").isEmpty();
    // The switchover from the Patroni leader to a Regent member is a mixed-cluster switchover.
    String line =
        String.format(
            java.util.Locale.ROOT,
            "migration acked=%d longest_write_gap_s=%.3f switchover_gap_s=%.3f total_s=%.1f%n",
            acked.size(),
            longestGap(acked, Long.MIN_VALUE, Long.MAX_VALUE) / 1e9,
            longestGap(acked, switchoverFrom, switchoverTo) / 1e9,
            totalSeconds);
    System.out.print(line);
    String out = System.getProperty("regent.bench.out");
    if (out != null && !out.isBlank()) {
      Files.writeString(
          Path.of(out),
          line,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }
}
