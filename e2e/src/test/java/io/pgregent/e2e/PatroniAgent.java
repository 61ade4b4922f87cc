package io.pgregent.e2e;

import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One real Patroni agent (Debian's {@code /usr/bin/patroni}) as a separate process, with its own
 * PostgreSQL on free ports, configured like {@link RegentAgent} (same store, bootstrap.dcs and
 * PostgreSQL parameters) so benchmarks compare the two agents under one harness. Run as root, it
 * runs as the PostgreSQL OS user through {@code setpriv}, and its files belong to that user.
 */
public final class PatroniAgent implements ClusterMember {

  /** The Patroni executable; {@code -Dpatroni.bin} overrides it. */
  public static Path executable() {
    Path bin = Path.of(System.getProperty("patroni.bin", "/usr/bin/patroni"));
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException(
          "no Patroni at " + bin + " (apt-get install patroni, or -Dpatroni.bin=...)");
    }
    return bin;
  }

  private final String name;
  private final int apiPort;
  private final int pgPort;
  private final Path base;
  private final Path dataDir;
  private final Path runDir;
  private final Path configFile;
  private ManagedProcess process;

  PatroniAgent(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      int ttl,
      int loopWait,
      int retryTimeout) {
    this.name = name;
    this.base = base;
    this.apiPort = FreePorts.next();
    this.pgPort = FreePorts.next();
    this.dataDir = base.resolve(name);
    this.runDir = base.resolve(name + "-run");
    this.configFile = base.resolve(name + ".yml");
    ownedDirectory(dataDir);
    ownedDirectory(runDir);
    write(scope, etcdHostPort, ttl, loopWait, retryTimeout);
  }

  /** An empty mode-0700 directory belonging to the PostgreSQL OS user (initdb insists on it). */
  private static void ownedDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      if (PostgresTestEnvironment.runningAsRoot()) {
        String user = PostgresTestEnvironment.osUser();
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        view.setOwner(users.lookupPrincipalByName(user));
        view.setGroup(users.lookupPrincipalByGroupName(user));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
  }

  private void write(String scope, String etcdHostPort, int ttl, int loopWait, int retryTimeout) {
    String yaml =
        """
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
        postgresql:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:%d
          data_dir: %s
          bin_dir: /usr/lib/postgresql/15/bin
          pgpass: %s
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
            .formatted(
                scope,
                name,
                apiPort,
                apiPort,
                etcdHostPort,
                ttl,
                loopWait,
                retryTimeout,
                pgPort,
                pgPort,
                dataDir,
                runDir.resolve("pgpass"),
                runDir);
    try {
      Files.writeString(configFile, yaml);
      // Readable by the PostgreSQL user Patroni runs as.
      Files.setPosixFilePermissions(configFile, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void start() {
    List<String> command = new ArrayList<>();
    if (PostgresTestEnvironment.runningAsRoot()) {
      // setpriv execs, so the process started is Patroni's own (its PID is the agent's).
      String user = PostgresTestEnvironment.osUser();
      command.addAll(List.of("setpriv", "--reuid", user, "--regid", user, "--init-groups"));
    }
    command.add(executable().toString());
    command.add(configFile.toString());
    process =
        ManagedProcess.start(
            "patroni-" + name,
            command,
            base,
            Map.of("HOME", runDir.toString(), "PYTHONUNBUFFERED", "1"),
            base.resolve(name + "-agent.log"));
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
