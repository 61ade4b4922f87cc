package io.pgregent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real single-member etcd (Debian's {@code etcd-server}) on free loopback ports with its data in
 * a temp directory, stopped by PID. {@link #restart()} keeps the data and the ports.
 */
public final class EtcdServer implements AutoCloseable {

  private final Path dir;
  private final int clientPort;
  private final int peerPort;
  private final String binary;
  private ManagedProcess process;

  private EtcdServer(Path dir, String binary) {
    this.dir = dir;
    this.clientPort = FreePorts.next();
    this.peerPort = FreePorts.next();
    this.binary = binary;
  }

  /** Starts a fresh etcd and waits until it answers its health check. */
  public static EtcdServer start() {
    return start(Path.of(locate()));
  }

  /** Starts a fresh etcd from {@code binary} (e.g. the 3.6 build) and waits until it is healthy. */
  public static EtcdServer start(Path binary) {
    try {
      EtcdServer s = new EtcdServer(Files.createTempDirectory("regent-etcd-"), binary.toString());
      s.launch();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The etcd 3.6 that {@code .ci/etcd.sh} builds: {@code $ETCD36_BIN}, else its cache. */
  public static java.util.Optional<Path> etcd36() {
    return BuildCache.executable("ETCD36_BIN", etcd36Cache(), "etcd", false);
  }

  /** Version of the etcd 3.6 build the tests expect (as in {@code .ci/etcd.sh}). */
  public static final String ETCD36_VERSION = "3.6.16";

  private static Path etcd36Cache() {
    return BuildCache.dir("etcd-" + ETCD36_VERSION);
  }

  /** Null when the etcd 3.6 build is here, else why not (quoting a failed build). */
  public static String etcd36UnavailableReason() {
    return BuildCache.unavailableReason(
        etcd36(),
        etcd36Cache(),
        "no etcd "
            + ETCD36_VERSION
            + " here: no $ETCD36_BIN and no "
            + etcd36Cache().resolve("etcd")
            + ". ./test.sh builds it from the Go module proxy with .ci/etcd.sh (needs Go); run it"
            + " once.");
  }

  private static String locate() {
    String env = System.getenv("ETCD_BIN");
    if (env != null && Files.isExecutable(Path.of(env))) {
      return env;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, "etcd");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IllegalStateException(
        "no etcd binary on PATH (or ETCD_BIN): install it with 'apt-get install -y etcd-server'"
            + " or run ./test.sh, which does");
  }

  private void launch() {
    String peer = "http://127.0.0.1:" + peerPort;
    List<String> cmd =
        List.of(
            binary,
            "--name",
            "regent-test",
            "--data-dir",
            dir.resolve("data").toString(),
            "--listen-client-urls",
            clientUrl(),
            "--advertise-client-urls",
            clientUrl(),
            "--listen-peer-urls",
            peer,
            "--initial-advertise-peer-urls",
            peer,
            "--initial-cluster",
            "regent-test=" + peer,
            "--logger",
            "zap",
            "--log-outputs",
            "stderr");
    process =
        ManagedProcess.start(
            "etcd:" + clientPort,
            cmd,
            dir,
            Map.of("ETCD_UNSUPPORTED_ARCH", ""),
            dir.resolve("etcd.log"));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    process.awaitReady(
        "etcd",
        Duration.ofSeconds(30),
        Duration.ofMillis(50),
        () -> {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(clientUrl() + "/health"))
                      .timeout(Duration.ofSeconds(1))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          return r.statusCode() == 200 && r.body().contains("true");
        });
  }

  public String clientUrl() {
    return "http://127.0.0.1:" + clientPort;
  }

  public int clientPort() {
    return clientPort;
  }

  public long pid() {
    return process.pid();
  }

  /**
   * Turns on etcd authentication with a {@code root} user (etcdctl from Debian's {@code
   * etcd-client}).
   */
  public void enableAuth(String rootPassword) {
    etcdctl("user", "add", "root", "--interactive=false", "--new-user-password=" + rootPassword);
    etcdctl("user", "grant-role", "root", "root");
    etcdctl("auth", "enable");
  }

  /** Writes a key as an operator would ({@code etcdctl put}). */
  public void put(String key, String value) {
    etcdctl("put", key, value);
  }

  /**
   * One of etcd's per-gRPC-method counters from its own {@code /metrics} (e.g. {@code
   * grpc_server_msg_received_total}), summed over its other labels, by method name.
   */
  public java.util.Map<String, Long> grpcCounts(String metric) {
    String body;
    try {
      body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(clientUrl() + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^" + metric + "\\{[^}]*grpc_method=\"(\\w+)\"[^}]*} (\\S+)$")
            .matcher(body);
    while (m.find()) {
      counts.merge(m.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
    }
    if (counts.isEmpty()) {
      throw new IllegalStateException("etcd's /metrics has no " + metric);
    }
    return counts;
  }

  /** Deletes a key as an operator would ({@code etcdctl del}). */
  public void delete(String key) {
    etcdctl("del", key);
  }

  /** Reads a key's value ({@code etcdctl get --print-value-only}), empty when absent. */
  public java.util.Optional<String> get(String key) {
    String out = etcdctl("get", key, "--print-value-only").strip();
    return out.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(out);
  }

  private String etcdctl(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of("etcdctl", "--endpoints=" + clientUrl()));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "etcdctl not found: install it with 'apt-get install -y etcd-client'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the server gracefully (SIGTERM) and waits for its exit. */
  public void stop() {
    process.stop(Duration.ofSeconds(10));
  }

  /** Stops and starts the server on the same ports with the same data. */
  public void restart() {
    stop();
    launch();
  }

  @Override
  public void close() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
    }
    deleteTree(dir);
  }

  static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths
          .sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort on a temp dir
                }
              });
    } catch (IOException e) {
      // best effort on a temp dir
    }
  }
}
