package io.pgregent.dcs.consul;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Consul for tests: a {@code consul} binary on PATH ({@code consul agent -dev} on free
 * loopback ports, stopped by PID), else a container through Testcontainers when a Docker engine
 * answers. {@link #unavailableReason()} says why neither can run, for an assumption.
 */
final class ConsulServer implements AutoCloseable {

  static final String IMAGE = "hashicorp/consul:1.20";

  private final int httpPort;
  private final Path dir;
  private ManagedProcess process;
  private GenericContainer<?> container;

  private ConsulServer(int httpPort, Path dir) {
    this.httpPort = httpPort;
    this.dir = dir;
  }

  /** Null when a Consul can be started here, else why not. */
  static String unavailableReason() {
    if (binary().isPresent()) {
      return null;
    }
    if (dockerAvailable()) {
      return null;
    }
    return "no Consul server can be started here: no 'consul' binary on PATH and no Docker engine"
        + " for Testcontainers (install Consul or Docker to run the Consul conformance kit)";
  }

  static ConsulServer start() {
    int port = FreePorts.next();
    try {
      ConsulServer s = new ConsulServer(port, Files.createTempDirectory("regent-consul-"));
      if (binary().isPresent()) {
        s.startProcess(true);
      } else {
        s.startContainer();
      }
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String address() {
    return "127.0.0.1:" + httpPort;
  }

  String url() {
    return "http://" + address();
  }

  /** Stops and starts Consul on the same address. */
  void restart() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
      startProcess(true);
    } else {
      DockerClientFactory.instance()
          .client()
          .restartContainerCmd(container.getContainerId())
          .withTimeout(10)
          .exec();
      awaitLeader(() -> container.isRunning(), () -> container.getLogs());
    }
  }

  private void startProcess(boolean disableGrpcTls) {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            binary().orElseThrow().toString(),
            "agent",
            "-dev",
            "-node=regent-test-" + httpPort,
            "-bind=127.0.0.1",
            "-client=127.0.0.1",
            "-http-port=" + httpPort,
            "-dns-port=-1",
            "-grpc-port=-1",
            "-serf-lan-port=" + FreePorts.next(),
            "-serf-wan-port=" + FreePorts.next(),
            "-server-port=" + FreePorts.next(),
            "-log-level=warn"));
    if (disableGrpcTls) {
      cmd.add("-hcl=ports { grpc_tls = -1 }");
    }
    process =
        ManagedProcess.start("consul:" + httpPort, cmd, dir, Map.of(), dir.resolve("consul.log"));
    try {
      awaitLeader(process::isAlive, () -> process.logTail(20));
    } catch (RuntimeException e) {
      // Consul before 1.14 does not know grpc_tls: try once without it.
      if (disableGrpcTls && !process.isAlive() && process.logTail(20).contains("grpc_tls")) {
        process.close();
        startProcess(false);
        return;
      }
      throw e;
    }
  }

  private void startContainer() {
    container =
        new GenericContainer<>(DockerImageName.parse(IMAGE))
            .withCommand("agent", "-dev", "-client=0.0.0.0", "-log-level=warn")
            .withExposedPorts(8500)
            .withCreateContainerCmdModifier(
                c -> {
                  // A fixed host port, so that a restart keeps the address.
                  HostConfig host =
                      c.getHostConfig() == null ? new HostConfig() : c.getHostConfig();
                  c.withHostConfig(
                      host.withPortBindings(
                          new PortBinding(
                              Ports.Binding.bindIpAndPort("127.0.0.1", httpPort),
                              ExposedPort.tcp(8500))));
                });
    container.start();
    awaitLeader(container::isRunning, container::getLogs);
  }

  private void awaitLeader(
      java.util.function.BooleanSupplier alive, java.util.function.Supplier<String> logs) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              if (!alive.getAsBoolean()) {
                throw new IllegalStateException("consul exited: " + logs.get());
              }
              HttpResponse<String> r =
                  http.send(
                      HttpRequest.newBuilder(URI.create(url() + "/v1/status/leader"))
                          .timeout(Duration.ofSeconds(1))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 && r.body().contains(":");
            });
  }

  private static Optional<Path> binary() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String d : path.split(File.pathSeparator)) {
      Path p = Path.of(d, "consul");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
    if (container != null) {
      container.stop();
    }
  }
}
