package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.status.ReplicationRow;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Settings for test members: free port, data under a base dir, small server, passwords. */
final class TestNodes {

  static final Credentials SUPERUSER = Credentials.of("postgres", "su-secret");
  static final Credentials REPLICATION = Credentials.of("replicator", "rep-secret");
  static final Credentials REWIND = Credentials.of("rewind_user", "rw-secret");

  /** Cluster-wide parameters every test member shares. */
  static final DynamicPostgresConfig DYNAMIC =
      DynamicPostgresConfig.withParameters(
          Map.of("max_connections", 30, "max_wal_senders", 5, "wal_keep_size", "64MB"));

  static final List<String> PG_HBA =
      List.of(
          "local all all trust",
          "host all all 127.0.0.1/32 scram-sha-256",
          "host replication all 127.0.0.1/32 scram-sha-256");

  private TestNodes() {}

  static PostgresSettings.Builder node(Path base, String scope, String name) {
    int port = FreePorts.next();
    return PostgresSettings.builder()
        .scope(scope)
        .name(name)
        .dataDir(base.resolve(name))
        .listen("127.0.0.1:" + port)
        .connectAddress("127.0.0.1:" + port)
        .superuser(SUPERUSER)
        .replication(REPLICATION)
        .rewind(REWIND)
        .pgHba(PG_HBA)
        .postgresUser(PostgresTestEnvironment.osUser())
        .parameter("unix_socket_directories", base.resolve(name + "-sock").toString())
        .parameter("shared_buffers", "16MB")
        .parameter("fsync", "off")
        .pgCtlTimeout(Duration.ofSeconds(60))
        .connectTimeout(Duration.ofSeconds(3))
        .queryTimeout(Duration.ofSeconds(2));
  }

  /** Bootstraps {@code c}, starts it if bootstrapping left it stopped, and waits until it runs. */
  static void bootstrapAndAwaitRunning(PostgresController c, Duration atMost) {
    c.bootstrap();
    if (!c.isRunning()) {
      c.start();
    }
    await().atMost(atMost).until(() -> c.state().runState() == RunState.RUNNING);
  }

  /** Waits until {@code c} runs as a standby. */
  static void awaitRunningStandby(PostgresController c, Duration atMost) {
    await()
        .atMost(atMost)
        .untilAsserted(
            () -> {
              LocalPostgresState s = c.state();
              assertThat(s.runState()).isEqualTo(RunState.RUNNING);
              assertThat(s.server().orElseThrow().inRecovery()).isTrue();
            });
  }

  /** {@code primary} reports one standby, {@code standby}, and it is streaming. */
  static void assertStreamsOnlyTo(PostgresController primary, String standby) {
    assertThat(primary.state().replication())
        .extracting(ReplicationRow::applicationName, ReplicationRow::state)
        .containsExactly(tuple(standby, "streaming"));
  }

  /** The values in the tests' table {@code t} on {@code c}, in order. */
  static List<String> rowsOfT(PostgresController c) {
    return c.client().queryStrings("SELECT v FROM t ORDER BY v");
  }

  static LeaderConnection leaderOf(PostgresController c) {
    return new LeaderConnection(c.settings().name(), "127.0.0.1", c.settings().port());
  }

  /** A directory every user may write (for scripts' output). */
  static Path sharedDir(Path base, String name) {
    try {
      Path d = Files.createDirectories(base.resolve(name));
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
      return d;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** An executable shell script readable by every user. */
  static Path script(Path dir, String name, String body) {
    try {
      Path p = dir.resolve(name);
      Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      return p;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** Stops the server if it runs, never throwing (for finally blocks). */
  static void stopQuietly(PostgresController c) {
    if (c == null) {
      return;
    }
    try {
      if (c.isRunning()) {
        c.stop(StopMode.IMMEDIATE, Duration.ofSeconds(20));
      }
    } catch (RuntimeException ex) {
      PostmasterPid.read(c.dataDir())
          .ifPresent(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
    } finally {
      c.close();
    }
  }

  /** Sends a signal to a pid with the shell's {@code kill} builtin (no procps needed). */
  static void signal(String sig, long pid) {
    try {
      Process p =
          new ProcessBuilder("sh", "-c", "kill -" + sig + " " + pid)
              .redirectErrorStream(true)
              .start();
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("kill -" + sig + " " + pid + " failed");
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(ex);
    }
  }
}
