package io.pgregent.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
public final class RegentAgent extends AgentProcess {

  private static final ObjectMapper JSON = new ObjectMapper();

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
    this(base, scope, name, etcdHostPort, tags, ttl, loopWait, retryTimeout, "", "");
  }

  /**
   * An agent with extra YAML lines: {@code postgresExtra} inside {@code postgresql:} and {@code
   * regentExtra} inside {@code regent:}, each line indented by two spaces.
   */
  RegentAgent(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      Map<String, Object> tags,
      int ttl,
      int loopWait,
      int retryTimeout,
      String postgresExtra,
      String regentExtra) {
    super(base, name);
    StringBuilder y = new StringBuilder();
    y.append(clusterYaml(scope, etcdHostPort, ttl, loopWait, retryTimeout));
    y.append(
        postgresYaml(base.resolve(name + ".pgpass"), base.resolve(name + "-sock"), postgresExtra));
    if (!tags.isEmpty()) {
      y.append("tags:\n");
      tags.forEach((k, v) -> y.append("  ").append(k).append(": ").append(v).append('\n'));
    }
    y.append("regent:\n  postgres_user: ").append(PostgresTestEnvironment.osUser()).append('\n');
    y.append(regentExtra);
    try {
      Files.writeString(configFile, y.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A Regent agent that takes over {@code previous}'s member (a Patroni agent, stopped first): same
   * name, ports and data directory, Regent's own YAML file and log ({@code NAME-regent-agent.log}).
   */
  RegentAgent(
      AgentProcess previous,
      String scope,
      String etcdHostPort,
      int ttl,
      int loopWait,
      int retryTimeout) {
    super(previous, "regent");
    StringBuilder y = new StringBuilder();
    y.append(clusterYaml(scope, etcdHostPort, ttl, loopWait, retryTimeout));
    y.append(postgresYaml(base.resolve(name + ".pgpass"), base.resolve(name + "-sock"), ""));
    y.append("regent:\n  postgres_user: ").append(PostgresTestEnvironment.osUser()).append('\n');
    try {
      Files.writeString(configFile, y.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Publishes {@code hostAndPort} as the REST API's {@code connect_address}, so that peers reach
   * this member through it (e.g. a fault proxy); call before {@link #start()}.
   */
  void restConnectAddress(String hostAndPort) {
    try {
      String yaml = Files.readString(configFile);
      String own = "  connect_address: 127.0.0.1:" + apiPort + "\n";
      if (!yaml.contains(own)) {
        throw new IllegalStateException("no REST connect_address in " + configFile);
      }
      Files.writeString(configFile, yaml.replace(own, "  connect_address: " + hostAndPort + "\n"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Puts the agent on Consul instead of etcd: {@code consulLines} replace the {@code etcd3:}
   * section (each line indented by two spaces); call before {@link #start()}.
   */
  void useConsul(String consulLines) {
    try {
      String yaml = Files.readString(configFile);
      String etcd = yaml.substring(yaml.indexOf("etcd3:\n"), yaml.indexOf("bootstrap:\n"));
      Files.writeString(configFile, yaml.replace(etcd, "consul:\n" + consulLines));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Requires {@code user}/{@code password} for the REST API's unsafe methods; before start. */
  void restAuthentication(String user, String password) {
    try {
      String yaml = Files.readString(configFile);
      String own = "  connect_address: 127.0.0.1:" + apiPort + "\n";
      if (!yaml.contains(own)) {
        throw new IllegalStateException("no REST connect_address in " + configFile);
      }
      Files.writeString(
          configFile,
          yaml.replace(
              own,
              own
                  + "  authentication:\n    username: "
                  + user
                  + "\n    password: "
                  + password
                  + "\n"));
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
    launch(
        "regent-" + name,
        List.of(launcher().toString(), configFile.toString()),
        Map.of("REGENT_JAR", jar().toString(), "JAVA_HOME", System.getProperty("java.home")));
  }

  static Path launcher() {
    Path bin = Path.of(System.getProperty("regent.bin", "../bin/regent")).toAbsolutePath();
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException("no executable launcher at " + bin);
    }
    return bin;
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
      return Files.readString(base.resolve(name + logSuffix + "-agent.log"));
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
}
