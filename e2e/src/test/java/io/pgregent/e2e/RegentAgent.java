package io.pgregent.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One Regent agent as a separate process (the packaged jar, started as {@code bin/regent} would),
 * with its own PostgreSQL on free ports, configured by a Patroni-style YAML file.
 */
public final class RegentAgent implements ClusterMember {

  private static final ObjectMapper JSON = new ObjectMapper();

  final String name;
  final int apiPort;
  final int pgPort;
  final Path dataDir;
  private final Path base;
  private final Path configFile;
  private ManagedProcess process;

  RegentAgent(Path base, String scope, String name, String etcdHostPort, Map<String, Object> tags) {
    this(base, scope, name, etcdHostPort, tags, 10, 2, 3);
  }

  /** An agent with the given {@code ttl}, {@code loop_wait} and {@code retry_timeout} (seconds). */
  RegentAgent(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      Map<String, Object> tags,
      int ttl,
      int loopWait,
      int retryTimeout) {
    this.name = name;
    this.base = base;
    this.apiPort = FreePorts.next();
    this.pgPort = FreePorts.next();
    this.dataDir = base.resolve(name);
    this.configFile = base.resolve(name + ".yml");
    write(scope, etcdHostPort, tags, ttl, loopWait, retryTimeout);
  }

  private void write(
      String scope,
      String etcdHostPort,
      Map<String, Object> tags,
      int ttl,
      int loopWait,
      int retryTimeout) {
    StringBuilder y = new StringBuilder();
    y.append("scope: ").append(scope).append('\n');
    y.append("name: ").append(name).append('\n');
    y.append("restapi:\n");
    y.append("  listen: 127.0.0.1:").append(apiPort).append('\n');
    y.append("  connect_address: 127.0.0.1:").append(apiPort).append('\n');
    y.append("etcd3:\n");
    y.append("  hosts: ").append(etcdHostPort).append('\n');
    y.append(
        """
        bootstrap:
          dcs:
            ttl: %d
            loop_wait: %d
            retry_timeout: %d
            maximum_lag_on_failover: 1048576
            postgresql:
              use_pg_rewind: true
              use_slots: true
              parameters:
                max_connections: 30
                max_wal_senders: 10
                max_replication_slots: 10
                wal_keep_size: 64MB
                wal_log_hints: 'on'
          initdb:
          - encoding: UTF8
          - data-checksums
        """
            .formatted(ttl, loopWait, retryTimeout));
    y.append("postgresql:\n");
    y.append("  listen: 127.0.0.1:").append(pgPort).append('\n');
    y.append("  connect_address: 127.0.0.1:").append(pgPort).append('\n');
    y.append("  data_dir: ").append(dataDir).append('\n');
    y.append("  pgpass: ").append(base.resolve(name + ".pgpass")).append('\n');
    y.append(
        """
          authentication:
            superuser:
              username: postgres
              password: su-secret
            replication:
              username: replicator
              password: rep-secret
          pg_hba:
          - local all all trust
          - host all all 127.0.0.1/32 scram-sha-256
          - host replication all 127.0.0.1/32 scram-sha-256
          parameters:
            shared_buffers: 16MB
            fsync: 'off'
        """);
    y.append("    unix_socket_directories: ").append(base.resolve(name + "-sock")).append('\n');
    if (!tags.isEmpty()) {
      y.append("tags:\n");
      tags.forEach((k, v) -> y.append("  ").append(k).append(": ").append(v).append('\n'));
    }
    y.append("regent:\n  postgres_user: ").append(PostgresTestEnvironment.osUser()).append('\n');
    try {
      Files.writeString(configFile, y.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path jar() {
    Path dir = Path.of(System.getProperty("regent.jar.dir", "../agent-app/target"));
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("agent-app-.*\\.jar"))
          .findFirst()
          .map(Path::toAbsolutePath)
          .orElseThrow(() -> new IllegalStateException("no agent-app jar in " + dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void start() {
    // Through the launcher, with its default JVM settings, as an operator runs it.
    process =
        ManagedProcess.start(
            "regent-" + name,
            List.of(launcher().toString(), configFile.toString()),
            base,
            Map.of("REGENT_JAR", jar().toString(), "JAVA_HOME", System.getProperty("java.home")),
            base.resolve(name + "-agent.log"));
  }

  static Path launcher() {
    Path bin = Path.of(System.getProperty("regent.bin", "../bin/regent")).toAbsolutePath();
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException("no executable launcher at " + bin);
    }
    return bin;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int pgPort() {
    return pgPort;
  }

  @Override
  public int apiPort() {
    return apiPort;
  }

  @Override
  public long pid() {
    return process.pid();
  }

  @Override
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGTERM, as a service manager stops the agent. */
  public void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(60));
    }
  }

  @Override
  public void crash() {
    ClusterMember.crash(process, dataDir);
  }

  Optional<Long> postmasterPid() {
    return ClusterMember.postmasterPid(dataDir);
  }

  String logTail() {
    return process == null ? "" : process.logTail(40);
  }

  /** An answer of the REST API. */
  public record Answer(int status, String body) {}

  /** Sends {@code method path} with a JSON body (or none) to the agent's REST API. */
  public Answer send(String method, String path, String body, Duration timeout) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                  .timeout(timeout)
                  .header("Content-Type", "application/json")
                  .method(
                      method,
                      body == null
                          ? HttpRequest.BodyPublishers.noBody()
                          : HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    } catch (Exception e) {
      return new Answer(-1, e.toString());
    }
  }

  /** The agent's log so far (all of it, across restarts). */
  public String log() {
    try {
      return Files.readString(base.resolve(name + "-agent.log"));
    } catch (IOException e) {
      return "";
    }
  }

  public Optional<JsonNode> patroni() {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/patroni"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return Optional.of(JSON.readTree(r.body()));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    ClusterMember.close(process, dataDir);
  }
}
