package io.pgregent.postgres;

import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.PostgresQueryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Brings a stopped former primary onto the leader's timeline with {@code pg_rewind}. */
final class Rewinder {

  private static final Logger log = LoggerFactory.getLogger(Rewinder.class);

  private final LocalNode node;
  private final ServerConfiguration config;
  private final DataDirectory dataDirectory;
  private final ProcessControl process;
  private final Upstream upstream;
  private final ReplicaCreator replicas;

  Rewinder(
      LocalNode node,
      ServerConfiguration config,
      DataDirectory dataDirectory,
      ProcessControl process,
      Upstream upstream,
      ReplicaCreator replicas) {
    this.node = node;
    this.config = config;
    this.dataDirectory = dataDirectory;
    this.process = process;
    this.upstream = upstream;
    this.replicas = replicas;
  }

  RewindOutcome rewind(LeaderConnection leader, Duration timeout) {
    PostgresSettings settings = node.settings;
    if (!config.usePgRewind()) {
      throw new PostgresSetupException(
          "pg_rewind is not enabled: set postgresql.use_pg_rewind (locally or in the cluster-wide"
              + " configuration), or allow re-cloning with"
              + " postgresql.remove_data_directory_on_diverged_timelines");
    }
    prepareRewind(leader);
    List<String> cmd = pgRewindCommand(leader, false);
    CommandResult r;
    try {
      r = node.runner.run(cmd, Map.of("PGPASSFILE", settings.pgpass().toString()), timeout);
    } catch (PostgresException ex) {
      r = new CommandResult(cmd, -1, ex.getMessage());
    }
    if (r.succeeded() && r.output().contains("no rewind required")) {
      log.info("no rewind onto {} required", leader.name());
      upstream.follow(leader);
      return RewindOutcome.NOT_NEEDED;
    }
    if (r.succeeded()) {
      log.info("pg_rewind onto {} done", leader.name());
      upstream.follow(leader);
      return RewindOutcome.REWOUND;
    }
    if (!settings.removeDataDirectoryOnRewindFailure()) {
      throw new PostgresException(
          "pg_rewind failed (exit "
              + r.exitCode()
              + "): "
              + r.outputTail(5)
              + " -- the data directory is kept; set"
              + " postgresql.remove_data_directory_on_rewind_failure to re-clone instead");
    }
    log.warn(
        "pg_rewind failed, re-cloning (remove_data_directory_on_rewind_failure): {}",
        r.outputTail(3));
    dataDirectory.remove("remove_data_directory_on_rewind_failure");
    replicas.createReplica(leader, timeout);
    return RewindOutcome.RECLONED;
  }

  boolean rewindRequired(LeaderConnection leader, Duration timeout) {
    prepareRewind(leader);
    List<String> cmd = pgRewindCommand(leader, true);
    CommandResult r =
        node.runner.run(cmd, Map.of("PGPASSFILE", node.settings.pgpass().toString()), timeout);
    if (!r.succeeded()) {
      throw new PostgresException("pg_rewind --dry-run failed: " + r.outputTail(5));
    }
    return !r.output().contains("no rewind required");
  }

  private void prepareRewind(LeaderConnection leader) {
    if (node.isRunning()) {
      throw new PostgresException("pg_rewind needs a stopped server: stop it first");
    }
    if (!node.controlData().cleanShutdown()) {
      process.finishCrashRecovery();
    }
    config.write();
    archiveReadyWal();
    try {
      PostgresClient.once(
          leader.host(),
          leader.port(),
          node.settings.rewindCredentials(),
          node.settings.connectTimeout(),
          node.settings.pgCtlTimeout(),
          c -> {
            try (var st = c.createStatement()) {
              st.execute("CHECKPOINT");
            }
            return null;
          });
    } catch (PostgresQueryException ex) {
      log.warn("CHECKPOINT on {} before pg_rewind failed: {}", leader.name(), ex.getMessage());
    }
  }

  /**
   * Archives the WAL segments still marked {@code .ready} with the configured {@code
   * archive_command} (as Patroni does before pg_rewind), so that WAL only this former primary has
   * is not lost when pg_rewind removes it. Does nothing unless {@code archive_mode} is on.
   */
  private void archiveReadyWal() {
    Path dataDir = node.dataDir;
    String mode = serverSetting("archive_mode");
    String command = serverSetting("archive_command");
    if (!(mode.equals("on") || mode.equals("always"))
        || command.isBlank()
        || command.equals("(disabled)")) {
      return;
    }
    Path statusDir = dataDir.resolve("pg_wal").resolve("archive_status");
    List<String> ready;
    try (Stream<Path> s = Files.list(statusDir)) {
      ready =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.matches("[0-9A-F]{24}(\\.partial)?\\.ready"))
              .map(n -> n.substring(0, n.length() - ".ready".length()))
              .sorted()
              .toList();
    } catch (IOException ex) {
      log.warn("cannot list {}: {}", statusDir, ex.getMessage());
      return;
    }
    for (String wal : ready) {
      if (!Files.isRegularFile(dataDir.resolve("pg_wal").resolve(wal))) {
        continue;
      }
      String cmd =
          command
              .replace("%%", "\u0000")
              .replace("%p", "pg_wal/" + wal)
              .replace("%f", wal)
              .replace("\u0000", "%");
      CommandResult r =
          node.runner.run(
              List.of("sh", "-c", "cd " + shellQuote(dataDir.toString()) + " && " + cmd),
              Map.of(),
              node.settings.pgCtlTimeout());
      if (!r.succeeded()) {
        log.warn("archiving {} before pg_rewind failed: {}", wal, r.outputTail(3));
        return;
      }
      try {
        Path readyFile = statusDir.resolve(wal + ".ready");
        Path doneFile = statusDir.resolve(wal + ".done");
        Files.move(readyFile, doneFile);
        node.runner.user().chown(doneFile);
      } catch (IOException ex) {
        log.warn("cannot mark {} archived: {}", wal, ex.getMessage());
      }
      log.info("archived {} before pg_rewind", wal);
    }
  }

  /** A setting as the stopped server would read it ({@code postgres -C}). */
  private String serverSetting(String name) {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(List.of(node.binaries.postgres().toString(), "-D", node.dataDir.toString()));
    cmd.addAll(node.serverOptions());
    cmd.addAll(List.of("-C", name));
    CommandResult r = node.runner.run(cmd, Map.of("LC_ALL", "C"), node.settings.pgCtlTimeout());
    return r.succeeded() ? r.output().strip() : "";
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private List<String> pgRewindCommand(LeaderConnection leader, boolean dryRun) {
    List<String> cmd = new ArrayList<>();
    cmd.add(node.binaries.pgRewind().toString());
    cmd.add("--target-pgdata=" + node.dataDir);
    cmd.add(
        "--source-server=" + upstream.conninfo(leader, node.settings.rewindCredentials(), true));
    if (node.binaries.majorVersion() >= 13 && restoreCommandConfigured()) {
      cmd.add("--restore-target-wal");
      if (node.binaries.majorVersion() >= 15) {
        // it reads restore_command from the configuration, which may live outside the data dir
        cmd.addAll(node.serverOptions());
      }
    }
    if (dryRun) {
      cmd.add("--dry-run");
    }
    return cmd;
  }

  private boolean restoreCommandConfigured() {
    return config.effectiveParameters().keySet().stream()
        .anyMatch(k -> k.equalsIgnoreCase("restore_command"));
  }
}
