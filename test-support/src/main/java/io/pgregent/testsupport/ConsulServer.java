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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real Consul for tests: the open-source build {@code .ci/consul.sh} makes from the Go module
 * proxy (Consul {@value #VERSION}, MPL 2.0), on free loopback ports with its data in a temp
 * directory, stopped by PID. One dev-mode agent ({@link #dev()}), or one server of a cluster
 * ({@link #cluster(int)}). {@link #unavailableReason()} says why none can run, for an assumption.
 */
public final class ConsulServer implements AutoCloseable {

  /** The release {@code .ci/consul.sh} builds: the newest whose every module is MPL 2.0. */
  public static final String VERSION = "1.14.11";

  private final Options options;
  private final Path dir;
  private final String node;
  private final int httpPort;
  private final int httpsPort;
  private final int dnsPort;
  private final int serfLanPort;
  private final int serfWanPort;
  private final int serverPort;
  private final List<String> extraArgs = new ArrayList<>();
  private ManagedProcess process;

  /** What the agent serves beside plain HTTP. */
  public record Options(boolean dns, String aclManagementToken, Tls tls) {
    public static Options plain() {
      return new Options(false, null, null);
    }

    public Options withDns() {
      return new Options(true, aclManagementToken, tls);
    }

    /** ACLs on with default policy deny, and this management token (a UUID). */
    public Options withAcl(String managementToken) {
      return new Options(dns, managementToken, tls);
    }

    /** An HTTPS port that verifies client certificates signed by {@code ca}. */
    public Options withTls(Tls tls) {
      return new Options(dns, aclManagementToken, tls);
    }
  }

  /** PEM files of the HTTPS listener. */
  public record Tls(Path caFile, Path certFile, Path keyFile) {}

  private ConsulServer(Options options, Path dir, String node) {
    this.options = options;
    this.dir = dir;
    this.node = node;
    this.httpPort = FreePorts.next();
    this.httpsPort = options.tls() == null ? -1 : FreePorts.next();
    this.dnsPort = options.dns() ? FreePorts.next() : -1;
    this.serfLanPort = FreePorts.next();
    this.serfWanPort = FreePorts.next();
    this.serverPort = FreePorts.next();
  }

  /**
   * The binary: {@code $CONSUL_BIN}, else the one {@code .ci/consul.sh} cached for this machine,
   * else a {@code consul} on PATH.
   */
  public static Optional<Path> binary() {
    return BuildCache.executable("CONSUL_BIN", cacheDir(), "consul", true);
  }

  /** Where {@code .ci/consul.sh} keeps its build (same rule as the script). */
  static Path cacheDir() {
    return BuildCache.dir("consul-" + VERSION);
  }

  /** Null when a Consul can be started here, else why not (quoting a failed build). */
  public static String unavailableReason() {
    return BuildCache.unavailableReason(
        binary(),
        cacheDir(),
        "no Consul server here: no $CONSUL_BIN, no "
            + cacheDir().resolve("consul")
            + " and no 'consul' on PATH. ./test.sh builds Consul "
            + VERSION
            + " from the Go module proxy with .ci/consul.sh (needs Go); run it once.");
  }

  /** A dev-mode agent (in-memory server, its own leader) with plain HTTP only. */
  public static ConsulServer dev() {
    return dev(Options.plain());
  }

  public static ConsulServer dev(Options options) {
    ConsulServer s = create(options, "regent-dev");
    s.extraArgs.add("-dev");
    s.launch();
    return s;
  }

  /**
   * {@code size} servers on loopback that elect one leader among themselves (persistent data in
   * temp directories, so that a stopped server can come back).
   */
  public static List<ConsulServer> cluster(int size) {
    List<ConsulServer> servers = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      servers.add(create(Options.plain(), "regent-s" + (i + 1)));
    }
    for (ConsulServer s : servers) {
      s.extraArgs.addAll(
          List.of(
              "-server",
              "-bootstrap-expect=" + size,
              "-data-dir=" + s.dir.resolve("data"),
              // Short timings so that elections and failure detection fit in a test.
              "-hcl=performance { raft_multiplier = 1 }"));
      for (ConsulServer peer : servers) {
        if (peer != s) {
          s.extraArgs.add("-retry-join=127.0.0.1:" + peer.serfLanPort);
        }
      }
    }
    try {
      for (ConsulServer s : servers) {
        s.spawn();
      }
      for (ConsulServer s : servers) {
        s.awaitReady();
      }
      return servers;
    } catch (RuntimeException e) {
      servers.forEach(ConsulServer::close);
      throw e;
    }
  }

  private static ConsulServer create(Options options, String nodePrefix) {
    String reason = unavailableReason();
    if (reason != null) {
      throw new IllegalStateException(reason);
    }
    try {
      Path dir = Files.createTempDirectory("regent-consul-");
      ConsulServer s = new ConsulServer(options, dir, nodePrefix);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code 127.0.0.1:<http port>}. */
  public String address() {
    return "127.0.0.1:" + httpPort;
  }

  public String url() {
    return "http://" + address();
  }

  /** The HTTPS API's URL, when started with TLS. */
  public String httpsUrl() {
    if (httpsPort < 0) {
      throw new IllegalStateException("started without TLS");
    }
    return "https://127.0.0.1:" + httpsPort;
  }

  /** The DNS interface's port (UDP and TCP), when started with DNS. */
  public int dnsPort() {
    if (dnsPort < 0) {
      throw new IllegalStateException("started without DNS");
    }
    return dnsPort;
  }

  /** The server RPC address, as {@code /v1/status/leader} names a server. */
  public String serverAddress() {
    return "127.0.0.1:" + serverPort;
  }

  public String nodeName() {
    return node + "-" + httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  public String logTail(int lines) {
    return process == null ? "" : process.logTail(lines);
  }

  /** Stops the agent (SIGTERM, then SIGKILL) and waits for its exit. */
  public void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
    }
  }

  /** Kills the agent at once. */
  public void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** Starts the agent again on the same ports (and data, unless dev mode). */
  public void start() {
    launch();
  }

  /** Stops and starts the agent on the same ports. */
  public void restart() {
    stop();
    launch();
  }

  private void launch() {
    spawn();
    awaitReady();
  }

  private void spawn() {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary().orElseThrow().toString());
    cmd.add("agent");
    cmd.addAll(extraArgs);
    cmd.addAll(
        List.of(
            "-node=" + nodeName(),
            "-bind=127.0.0.1",
            "-client=127.0.0.1",
            "-http-port=" + httpPort,
            "-dns-port=" + dnsPort,
            "-grpc-port=-1",
            "-serf-lan-port=" + serfLanPort,
            "-serf-wan-port=" + serfWanPort,
            "-server-port=" + serverPort,
            "-disable-host-node-id",
            "-log-level=info",
            "-hcl=ports { grpc_tls = -1 }"));
    if (options.tls() != null) {
      Tls t = options.tls();
      cmd.add("-hcl=ports { https = " + httpsPort + " }");
      cmd.add(
          "-hcl=tls { defaults { ca_file = \""
              + t.caFile()
              + "\" cert_file = \""
              + t.certFile()
              + "\" key_file = \""
              + t.keyFile()
              + "\" } https { verify_incoming = true } }");
    }
    if (options.aclManagementToken() != null) {
      cmd.add(
          "-hcl=acl { enabled = true default_policy = \"deny\" tokens { initial_management = \""
              + options.aclManagementToken()
              + "\" } }");
    }
    process =
        ManagedProcess.start(
            "consul:" + httpPort, cmd, dir, Map.of(), dir.resolve("consul-" + httpPort + ".log"));
  }

  /** Waits until the agent knows a leader and has registered its own node. */
  private void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    process.awaitReady(
        "consul",
        Duration.ofSeconds(90),
        Duration.ofMillis(100),
        () -> {
          HttpRequest.Builder b =
              HttpRequest.newBuilder(URI.create(url() + "/v1/catalog/node/" + nodeName()))
                  .timeout(Duration.ofSeconds(2));
          if (options.aclManagementToken() != null) {
            b.header("X-Consul-Token", options.aclManagementToken());
          }
          HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
          return r.statusCode() == 200 && r.body().contains("\"Node\"");
        });
  }

  @Override
  public void close() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
    }
    EtcdServer.deleteTree(dir);
  }

  @Override
  public String toString() {
    return "consul " + nodeName() + " at " + address();
  }
}
