package io.pgregent.agent.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.postgres.PostgresBinaries;
import io.pgregent.postgres.PostgresBinariesResolver;
import io.pgregent.postgres.PostgresSetupException;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * {@code regent demo}: a three-member cluster on this machine with nothing to install but
 * PostgreSQL. ZooKeeper runs inside this JVM; each member is an agent process (the same jar) with
 * its own PostgreSQL on free loopback ports, all under one temporary directory. It prints the
 * topology as {@code patronictl list} does, how to connect and how to try a failover, reprints the
 * table when the cluster changes, restarts a member that stopped so that it rejoins, and on Ctrl-C
 * (or SIGTERM) stops the agents (which stop PostgreSQL), then ZooKeeper, and removes the directory.
 */
public final class DemoCommand {

  static final String SCOPE = "demo";
  static final List<String> NAMES = List.of("pg0", "pg1", "pg2");

  /** A stopped member is started again after this delay, once the others have failed over. */
  private static final Duration RESTART_DELAY = Duration.ofSeconds(20);

  private static final Duration STARTUP_BOUND = Duration.ofMinutes(3);

  private final Map<String, String> environment;
  private final PrintStream out;
  private final PrintStream err;
  private final Object lock = new Object();
  private final List<DemoMember> members = new ArrayList<>();
  private final Map<String, Long> stoppedSince = new HashMap<>();
  private Path base;
  private EmbeddedZooKeeper zooKeeper;
  private List<String> agentCommand;
  private Map<String, String> agentEnvironment;
  private String password;
  private String systemId;
  private String lastLeader;
  private boolean stopping;

  DemoCommand(Map<String, String> environment, PrintStream out, PrintStream err) {
    this.environment = Map.copyOf(environment);
    this.out = out;
    this.err = err;
  }

  /** Runs the demo until the JVM is asked to stop; returns only on a failure to start (1). */
  public static int run(Map<String, String> environment, PrintStream out, PrintStream err) {
    return new DemoCommand(environment, out, err).run();
  }

  int run() {
    quietLogging();
    PostgresBinaries binaries;
    try {
      binaries = postgres();
    } catch (PostgresSetupException e) {
      err.println("regent demo: " + e.getMessage());
      err.println(
          "regent demo: install PostgreSQL's server programs, e.g. 'sudo apt-get install -y"
              + " postgresql' (Debian, Ubuntu), 'sudo dnf install -y postgresql-server' (Fedora,"
              + " RHEL) or 'brew install postgresql@17' (macOS), or point REGENT_PG_BIN_DIR at the"
              + " directory holding pg_ctl.");
      return 1;
    }
    Thread cleanup = new Thread(this::shutdown, "regent-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(cleanup);
    handleInterrupt();
    try {
      start(binaries);
    } catch (Exception | LinkageError e) {
      err.println("regent demo: could not start: " + e);
      Runtime.getRuntime().removeShutdownHook(cleanup);
      shutdown();
      return 1;
    }
    if (!awaitHealthy()) {
      err.println(
          "regent demo: the cluster is not healthy after "
              + STARTUP_BOUND.toMinutes()
              + " minutes; the agents' logs are in "
              + base
              + " (Ctrl-C stops the demo).");
      members.forEach(
          m -> err.println("--- " + m.logFile + "\n" + DemoSupport.tail(m.logFile, 15)));
    }
    printIntroduction();
    watch();
    return 0;
  }

  /**
   * Ctrl-C exits through the shutdown hook. A process started with SIGINT ignored (a background job
   * of a shell script) keeps ignoring it, as the JVM does not take over an ignored signal: SIGTERM
   * stops the demo then.
   */
  @SuppressWarnings("removal")
  private static void handleInterrupt() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> System.exit(130));
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // No SIGINT here: SIGTERM still runs the shutdown hook.
    }
  }

  /** The demo's own output is the table; the embedded ZooKeeper logs warnings only. */
  private static void quietLogging() {
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
      Logger zk = ctx.getLogger("org.apache.zookeeper");
      zk.setLevel(Level.ERROR);
    }
  }

  private PostgresBinaries postgres() {
    // As root, PostgreSQL runs as regent.postgres_user (postgres): that user must exist.
    OsUser user = OsUser.resolve("postgres");
    PostgresBinariesResolver resolver = PostgresBinariesResolver.system(new CommandRunner(user));
    String binDir = environment.get("REGENT_PG_BIN_DIR");
    return resolver.resolve(binDir == null || binDir.isBlank() ? null : Path.of(binDir), Map.of());
  }

  private void start(PostgresBinaries binaries) throws IOException, InterruptedException {
    synchronized (lock) {
      // Traversable by the PostgreSQL user when running as root; data directories stay 0700.
      base =
          Files.createTempDirectory(
              "regent-demo-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    out.println(
        "Regent demo: a three-member PostgreSQL "
            + binaries.majorVersion()
            + " cluster on this machine ("
            + binaries.binDir()
            + "), ZooKeeper embedded.");
    out.println("Configuration, data and logs: " + base + " (removed on exit)");
    Path zkDir = Files.createDirectories(base.resolve("zookeeper"));
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(zkDir);
    password = DemoSupport.randomPassword();
    agentCommand = agentCommand();
    agentEnvironment = new LinkedHashMap<>();
    if (environment.containsKey("REGENT_JAR")) {
      agentEnvironment.put("REGENT_JAR", environment.get("REGENT_JAR"));
    }
    synchronized (lock) {
      zooKeeper = zk;
      if (stopping) {
        return;
      }
      List<Integer> ports = DemoSupport.freePorts(NAMES.size() * 2);
      for (int i = 0; i < NAMES.size(); i++) {
        DemoMember m = new DemoMember(NAMES.get(i), ports.get(2 * i), ports.get(2 * i + 1), base);
        Files.writeString(
            m.configFile,
            m.yaml(SCOPE, zk.connectString(), base, password, binaries.binDir().toString()));
        members.add(m);
      }
      out.println("ZooKeeper: " + zk.connectString());
      out.println(
          "Starting "
              + members.stream()
                  .map(m -> m.name + " (REST :" + m.restPort + ", PostgreSQL :" + m.pgPort + ")")
                  .collect(Collectors.joining(", "))
              + "; waiting for a leader and two streaming replicas...");
      out.flush();
      for (DemoMember m : members) {
        m.start(agentCommand, agentEnvironment);
      }
    }
  }

  /**
   * The agent's command: the launcher that started this demo (its JVM settings), else this JVM with
   * this jar; in a session of its own so that Ctrl-C reaches the demo only, which stops the members
   * in order (replicas first, then the leader).
   */
  private List<String> agentCommand() {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid");
    }
    String launcher = environment.get("REGENT_LAUNCHER");
    if (launcher != null && Files.isExecutable(Path.of(launcher))) {
      command.add(launcher);
      return command;
    }
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-XX:+UseSerialGC", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar"));
    command.add(environment.getOrDefault("REGENT_JAR", System.getProperty("java.class.path")));
    return command;
  }

  private boolean awaitHealthy() {
    long deadline = System.nanoTime() + STARTUP_BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      if (isStopping()) {
        return false;
      }
      Optional<JsonNode> cluster = cluster();
      if (cluster.isPresent() && ClusterReads.healthy(cluster.get())) {
        return true;
      }
      if (members.stream().noneMatch(DemoMember::isAlive)) {
        return false;
      }
      DemoSupport.pause(Duration.ofMillis(500));
    }
    return false;
  }

  private void printIntroduction() {
    Optional<JsonNode> cluster = cluster();
    out.println();
    cluster.ifPresent(c -> printTable(c));
    out.println("Members (REST API, agent PID, PostgreSQL PID, log):");
    for (DemoMember m : members) {
      out.printf(
          "  %s  %s  agent PID %d  postgres PID %s  %s%n",
          m.name,
          m.restUrl(),
          m.pid(),
          m.postmasterPid().map(String::valueOf).orElse("-"),
          m.logFile);
    }
    out.println();
    out.println("Connect to the primary, wherever it is (libpq 10+):");
    out.println("  psql \"" + multiHostUrl() + "\"");
    out.println();
    out.println(
        "Try a failover: kill the leader's agent and its PostgreSQL, as if its machine died,");
    leader(cluster)
        .ifPresent(
            l ->
                out.println(
                    "  kill -9 "
                        + l.pid()
                        + l.postmasterPid().map(p -> " " + p).orElse("")
                        + "      # or 'kill "
                        + l.pid()
                        + "' for a clean hand-over"));
    out.println(
        "and watch the table: a replica is promoted once the leader's lock expires (ttl 10 s); a"
            + " stopped member is restarted "
            + RESTART_DELAY.toSeconds()
            + " s later and rejoins as a replica.");
    out.println("Ctrl-C stops everything and removes " + base + ".");
    out.println();
    out.flush();
  }

  private Optional<DemoMember> leader(Optional<JsonNode> cluster) {
    return cluster.flatMap(
        c -> {
          for (JsonNode m : c.path("members")) {
            if (m.path("role").asText().equals("leader")) {
              return member(m.path("name").asText());
            }
          }
          return Optional.empty();
        });
  }

  private Optional<DemoMember> member(String name) {
    return members.stream().filter(m -> m.name.equals(name)).findFirst();
  }

  private String connectionUrl(DemoMember m) {
    return "postgresql://postgres:" + password + "@127.0.0.1:" + m.pgPort + "/postgres";
  }

  private String multiHostUrl() {
    return "postgresql://postgres:"
        + password
        + "@"
        + members.stream().map(m -> "127.0.0.1:" + m.pgPort).collect(Collectors.joining(","))
        + "/postgres?target_session_attrs=read-write";
  }

  /** Prints the table, and the leader's connection string, when the cluster's shape changes. */
  private void watch() {
    String shown = cluster().map(ClusterReads::shape).orElse(null);
    String previous = shown;
    while (!isStopping()) {
      Optional<JsonNode> cluster = cluster();
      if (cluster.isPresent()) {
        String shape = ClusterReads.shape(cluster.get());
        // Shown once seen twice in a row: passing states of a failover are not worth a table.
        if (!shape.equals(shown) && shape.equals(previous)) {
          out.println(DemoSupport.now() + " the cluster changed:");
          printTable(cluster.get());
          out.println();
          out.flush();
          shown = shape;
        }
        previous = shape;
      }
      restartStoppedMembers();
      DemoSupport.pause(Duration.ofSeconds(1));
    }
  }

  private void printTable(JsonNode cluster) {
    if (systemId == null) {
      systemId = ClusterReads.systemIdentifier(members);
    }
    out.print(ClusterTable.render(SCOPE, systemId, cluster));
    leader(Optional.of(cluster))
        .ifPresent(
            l -> {
              lastLeader = l.name;
              out.println("Leader " + l.name + ": psql \"" + connectionUrl(l) + "\"");
            });
  }

  private void restartStoppedMembers() {
    synchronized (lock) {
      if (stopping) {
        return;
      }
      long now = System.nanoTime();
      for (DemoMember m : members) {
        if (m.isAlive()) {
          stoppedSince.remove(m.name);
          continue;
        }
        Long since = stoppedSince.get(m.name);
        if (since == null) {
          stoppedSince.put(m.name, now);
          out.println(
              DemoSupport.now()
                  + " "
                  + m.name
                  + "'s agent exited"
                  + m.exitCode().map(c -> " (exit code " + c + ")").orElse("")
                  + "; it is restarted in "
                  + RESTART_DELAY.toSeconds()
                  + " s");
          out.flush();
        } else if (now - since >= RESTART_DELAY.toNanos()) {
          stoppedSince.remove(m.name);
          try {
            m.start(agentCommand, agentEnvironment);
            out.println(DemoSupport.now() + " restarted " + m.name + ": agent PID " + m.pid());
          } catch (IOException e) {
            out.println("could not restart " + m.name + ": " + e.getMessage());
          }
          out.flush();
        }
      }
    }
  }

  /** {@code GET /cluster} from the first member that answers, the last leader first. */
  private Optional<JsonNode> cluster() {
    return ClusterReads.cluster(members, lastLeader);
  }

  private boolean isStopping() {
    synchronized (lock) {
      return stopping;
    }
  }

  /** Replicas first, then the leader (no failover on the way out), then ZooKeeper, then files. */
  private void shutdown() {
    List<DemoMember> toStop;
    EmbeddedZooKeeper zk;
    synchronized (lock) {
      if (stopping) {
        return;
      }
      stopping = true;
      toStop = new ArrayList<>(members);
      zk = zooKeeper;
    }
    if (base == null) {
      return;
    }
    out.println();
    out.println("Stopping the demo...");
    out.flush();
    String leader = lastLeader;
    List<DemoMember> replicas = toStop.stream().filter(m -> !m.name.equals(leader)).toList();
    List<Thread> stoppers = new ArrayList<>();
    for (DemoMember m : replicas) {
      Thread t = new Thread(() -> m.stop(60), "stop-" + m.name);
      t.start();
      stoppers.add(t);
    }
    DemoSupport.join(stoppers);
    toStop.stream().filter(m -> m.name.equals(leader)).forEach(m -> m.stop(60));
    if (zk != null) {
      zk.close();
    }
    DemoSupport.deleteTree(base);
    out.println(
        Files.exists(base)
            ? "Stopped; could not remove all of " + base
            : "Stopped; removed " + base);
    out.flush();
  }
}
