package io.pgregent.e2e;

import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What a Regent and a Patroni agent process have in common here: a name, free ports for the REST
 * API and PostgreSQL, a data directory and YAML file under a base directory, and the process with
 * its log ({@code NAME-agent.log}, kept across restarts).
 */
abstract class AgentProcess implements ClusterMember {

  final String name;
  final int apiPort;
  final int pgPort;
  final Path base;
  final Path dataDir;
  final Path configFile;
  ManagedProcess process;

  AgentProcess(Path base, String name) {
    this.name = name;
    this.base = base;
    this.apiPort = FreePorts.next();
    this.pgPort = FreePorts.next();
    this.dataDir = base.resolve(name);
    this.configFile = base.resolve(name + ".yml");
  }

  /**
   * An agent taking over {@code previous}'s member: same name, ports and data directory, its own
   * YAML file ({@code NAME-SUFFIX.yml}) and log.
   */
  AgentProcess(AgentProcess previous, String suffix) {
    this.name = previous.name;
    this.base = previous.base;
    this.apiPort = previous.apiPort;
    this.pgPort = previous.pgPort;
    this.dataDir = previous.dataDir;
    this.configFile = base.resolve(name + "-" + suffix + ".yml");
    this.logSuffix = "-" + suffix;
  }

  String logSuffix = "";

  /** Starts {@code command} as this member's agent, its output appended to the member's log. */
  final void launch(String label, List<String> command, Map<String, String> environment) {
    process =
        ManagedProcess.start(
            label, command, base, environment, base.resolve(name + logSuffix + "-agent.log"));
  }

  /**
   * The YAML both agents share: the store, {@code bootstrap.dcs} with the given timings and the
   * cluster-wide PostgreSQL parameters, initdb options.
   */
  final String clusterYaml(
      String scope, String etcdHostPort, int ttl, int loopWait, int retryTimeout) {
    return """
        scope: %s
        name: %s
        restapi:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:%d
        etcd3:
          hosts: %s
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
        .formatted(scope, name, apiPort, apiPort, etcdHostPort, ttl, loopWait, retryTimeout);
  }

  /**
   * The {@code postgresql:} section both agents share; {@code extra} lines (indented by two) go
   * after {@code data_dir}.
   */
  final String postgresYaml(Path pgpass, Path socketDir, String extra) {
    return """
        postgresql:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:%d
          data_dir: %s
        %s  pgpass: %s
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
            unix_socket_directories: %s
        """
        .formatted(pgPort, pgPort, dataDir, extra, pgpass, socketDir);
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

  @Override
  public void crash() {
    ClusterMember.crash(process, dataDir);
  }

  /** SIGKILL of the agent alone: its PostgreSQL (and its fence) keep running. */
  public void killAgent() {
    if (process != null) {
      process.kill();
    }
  }

  /** SIGKILL of the postmaster alone, as when PostgreSQL crashes: the agent lives on. */
  public void killPostmaster() {
    ClusterMember.postmasterPid(dataDir)
        .flatMap(ProcessHandle::of)
        .ifPresent(ProcessHandle::destroyForcibly);
  }

  /** SIGSTOP of the agent: frozen, as in a long pause, while its PostgreSQL runs on. */
  public void freeze() {
    signal("STOP");
  }

  /** SIGCONT of a frozen agent. */
  public void thaw() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGTERM, as a service manager stops the agent. */
  public void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(60));
    }
  }

  @Override
  public void close() {
    ClusterMember.close(process, dataDir);
  }
}
