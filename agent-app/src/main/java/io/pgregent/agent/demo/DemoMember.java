package io.pgregent.agent.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One member of the demo: its configuration file, its agent process and its PostgreSQL. */
final class DemoMember {

  final String name;
  final int restPort;
  final int pgPort;
  final Path dataDir;
  final Path configFile;
  final Path logFile;
  private Process process;

  DemoMember(String name, int restPort, int pgPort, Path base) {
    this.name = name;
    this.restPort = restPort;
    this.pgPort = pgPort;
    this.dataDir = base.resolve(name);
    this.configFile = base.resolve(name + ".yml");
    this.logFile = base.resolve(name + ".log");
  }

  /** Patroni's YAML for this member; ttl and loop_wait small so that failover is quick. */
  String yaml(String scope, String zooKeeper, Path base, String password, String binDir) {
    return """
        scope: %1$s
        name: %2$s
        restapi:
          listen: 127.0.0.1:%3$d
          connect_address: 127.0.0.1:%3$d
        zookeeper:
          hosts: %4$s
        bootstrap:
          dcs:
            ttl: 10
            loop_wait: 2
            retry_timeout: 3
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
        postgresql:
          listen: 127.0.0.1:%5$d
          connect_address: 127.0.0.1:%5$d
          data_dir: %6$s
          bin_dir: %7$s
          pgpass: %8$s
          authentication:
            superuser:
              username: postgres
              password: '%9$s'
            replication:
              username: replicator
              password: '%9$s'
          pg_hba:
          - local all all trust
          - host all all 127.0.0.1/32 scram-sha-256
          - host replication all 127.0.0.1/32 scram-sha-256
          parameters:
            shared_buffers: 16MB
            unix_socket_directories: '%10$s'
        """
        .formatted(
            scope,
            name,
            restPort,
            zooKeeper,
            pgPort,
            dataDir,
            binDir,
            base.resolve(name + ".pgpass"),
            password,
            base.resolve(name + "-socket"));
  }

  void start(List<String> command, Map<String, String> environment) throws IOException {
    List<String> argv = new ArrayList<>(command);
    argv.add(configFile.toString());
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    pb.environment().putAll(environment);
    process = pb.start();
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process == null ? -1 : process.pid();
  }

  Optional<Integer> exitCode() {
    return process == null || process.isAlive()
        ? Optional.empty()
        : Optional.of(process.exitValue());
  }

  String restUrl() {
    return "http://127.0.0.1:" + restPort + "/patroni";
  }

  /** The postmaster's PID, from {@code postmaster.pid}, while it runs. */
  Optional<Long> postmasterPid() {
    try {
      List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
      if (lines.isEmpty()) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * SIGTERM, as a service manager stops the agent: it stops PostgreSQL and, as leader, releases the
   * lock. What is still running after the bound is killed.
   */
  void stop(long timeoutSeconds) {
    Optional<Long> postmaster = postmasterPid();
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
    // A postmaster whose agent was killed is ours to stop (fast shutdown: SIGINT, then kill).
    postmaster
        .or(this::postmasterPid)
        .flatMap(ProcessHandle::of)
        .filter(ProcessHandle::isAlive)
        .ifPresent(
            pm -> {
              signal("INT", pm.pid());
              try {
                pm.onExit().get(timeoutSeconds, TimeUnit.SECONDS);
              } catch (Exception e) {
                pm.descendants().forEach(ProcessHandle::destroyForcibly);
                pm.destroyForcibly();
              }
            });
  }

  private static void signal(String signal, long pid) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
