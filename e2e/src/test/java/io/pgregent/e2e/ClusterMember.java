package io.pgregent.e2e;

import io.pgregent.testsupport.ManagedProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One HA agent process beside its own PostgreSQL, whichever agent it is (Regent or Patroni): both
 * answer the same REST paths, so benchmarks drive either through this view.
 */
public interface ClusterMember extends AutoCloseable {

  HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  String name();

  int pgPort();

  int apiPort();

  /** The agent's own process (the JVM for Regent, the Python interpreter for Patroni). */
  long pid();

  boolean isAlive();

  void start();

  /** kill -9 of the agent and of its whole PostgreSQL process tree: the machine died. */
  void crash();

  @Override
  void close();

  /** The HTTP status of {@code GET path} on the agent's REST API, -1 when it does not answer. */
  default int status(String path) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort() + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  default Connection connect() throws Exception {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + pgPort() + "/postgres?connectTimeout=3&socketTimeout=5",
        "postgres",
        "su-secret");
  }

  /**
   * The first column of the first row {@code sql} returns, as text; empty when there is no row or
   * PostgreSQL does not answer.
   */
  default Optional<String> queryValue(String sql) {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** The first column of every row {@code sql} returns, as numbers. */
  default List<Long> queryLongs(String sql) throws Exception {
    List<Long> values = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getLong(1));
      }
    }
    return values;
  }

  /** Whether PostgreSQL accepts connections and is not in recovery. */
  default boolean writable() {
    return queryValue("SELECT pg_is_in_recovery()::text").map("false"::equals).orElse(false);
  }

  /** Whether PostgreSQL accepts connections and is in recovery (serves reads only). */
  default boolean readOnly() {
    return queryValue("SELECT pg_is_in_recovery()::text").map("true"::equals).orElse(false);
  }

  /**
   * Whether this member is a replica whose WAL receiver streams, read from PostgreSQL itself so the
   * criterion is the same whatever the agent publishes.
   */
  default boolean streaming() {
    return status("/replica") == 200
        && queryValue("SELECT status FROM pg_stat_wal_receiver")
            .map("streaming"::equals)
            .orElse(false);
  }

  /** The postmaster's PID, from {@code postmaster.pid} in {@code dataDir}. */
  static Optional<Long> postmasterPid(Path dataDir) {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The PID of the fence guarding {@code dataDir} (in its default directory), if one runs. */
  static Optional<Long> fencePid(Path dataDir) {
    try {
      List<String> lines = Files.readAllLines(Path.of(dataDir + ".fence", "fence.pid"));
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** SIGKILL of the fence beside {@code dataDir}, as when its machine dies. */
  static void killFence(Path dataDir) {
    fencePid(dataDir)
        .flatMap(ProcessHandle::of)
        .filter(ProcessHandle::isAlive)
        .ifPresent(ProcessHandle::destroyForcibly);
  }

  /**
   * SIGKILL of {@code agent}, of the postmaster of {@code dataDir} with all its children, and of
   * the fence beside it: the machine dies.
   */
  static void crash(ManagedProcess agent, Path dataDir) {
    // The whole tree at once: postmaster and backends, as when the machine dies. A backend left
    // alive would keep serving its connection for a moment.
    List<ProcessHandle> postgres = new ArrayList<>();
    postmasterPid(dataDir)
        .flatMap(ProcessHandle::of)
        .ifPresent(
            pm -> {
              postgres.add(pm);
              pm.descendants().forEach(postgres::add);
            });
    if (agent != null) {
      agent.kill();
    }
    postgres.forEach(ProcessHandle::destroyForcibly);
    killFence(dataDir);
  }

  /** Stops {@code agent} (SIGTERM), then kills a postmaster and a fence a crash left behind. */
  static void close(ManagedProcess agent, Path dataDir) {
    if (agent != null && agent.isAlive()) {
      agent.stop(Duration.ofSeconds(30));
    }
    killFence(dataDir);
    postmasterPid(dataDir)
        .flatMap(ProcessHandle::of)
        .filter(ProcessHandle::isAlive)
        .ifPresent(ProcessHandle::destroyForcibly);
  }
}
