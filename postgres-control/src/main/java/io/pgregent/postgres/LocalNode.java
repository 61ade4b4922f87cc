package io.pgregent.postgres;

import io.pgregent.postgres.config.ConfigFileWriter;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.PostgresQueryException;
import io.pgregent.postgres.status.ServerStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every part of the controller shares about one local server: its settings, programs, data
 * directory, connection and callbacks, and the read-only probes of its state.
 */
final class LocalNode {

  private static final Logger log = LoggerFactory.getLogger(LocalNode.class);

  /** Replaced when the local configuration is reloaded ({@link SettingsReload}). */
  volatile PostgresSettings settings;

  final CommandRunner runner;
  final PostgresBinaries binaries;
  final ConfigFileWriter files;
  volatile PostgresClient client;
  volatile CallbackExecutor callbacks;
  final ConditionWaiter waiter;
  final ConditionWaiter promoteWaiter;
  final Path dataDir;

  /** Whether a postmaster should run: one found gone is then reported as crashed. */
  volatile boolean expectRunning;

  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  LocalNode(
      PostgresSettings settings,
      CommandRunner runner,
      ScheduledExecutorService scheduler,
      Optional<PostgresBinaries> binaries) {
    this.settings = settings;
    this.runner = runner;
    this.dataDir = settings.dataDir().toAbsolutePath().normalize();
    this.binaries =
        binaries.orElseGet(
            () ->
                PostgresBinariesResolver.system(runner)
                    .resolve(settings.binDir(), settings.binName()));
    this.files =
        new ConfigFileWriter(
            dataDir, settings.configDirectory(), settings.customConf(), runner.user());
    this.client = newClient(settings);
    this.callbacks = new CallbackExecutor(runner, settings.callbacks(), settings.scope());
    this.waiter = new ConditionWaiter(scheduler, Duration.ofMillis(100));
    this.promoteWaiter = new ConditionWaiter(scheduler, Duration.ofMillis(5));
    this.expectRunning = isRunning();
  }

  static PostgresClient newClient(PostgresSettings settings) {
    return new PostgresClient(
        settings.localHost(),
        settings.port(),
        settings.localSocketDirectory().orElse(null),
        settings.superuser(),
        settings.connectTimeout(),
        settings.queryTimeout(),
        "regent-local-" + settings.name());
  }

  /**
   * The options that point the server at its configuration: {@code --config-file} when it lives in
   * a config_dir of its own, else none.
   */
  List<String> serverOptions() {
    return files.separateConfigDir()
        ? List.of("--config-file=" + files.postgresqlConf())
        : List.of();
  }

  /** {@code pg_ctl ACTION -D DATA_DIR OPTIONS...}. */
  List<String> pgCtl(String action, String... options) {
    List<String> cmd = new ArrayList<>();
    cmd.add(binaries.pgCtl().toString());
    cmd.add(action);
    cmd.add("-D");
    cmd.add(dataDir.toString());
    cmd.addAll(List.of(options));
    return cmd;
  }

  Path logFile() {
    return dataDir.resolve("log").resolve("postmaster.log");
  }

  boolean initialized() {
    return Files.exists(dataDir.resolve("PG_VERSION"));
  }

  boolean isRunning() {
    return PostmasterPid.read(dataDir).map(PostmasterPid::isAlive).orElse(false);
  }

  LocalPostgresState state() {
    boolean initialized = initialized();
    Optional<PostmasterPid> pidFile = PostmasterPid.read(dataDir);
    boolean alive = pidFile.map(PostmasterPid::isAlive).orElse(false);
    if (!alive) {
      boolean stale = pidFile.isPresent();
      RunState rs = expectRunning || stale ? RunState.CRASHED : RunState.STOPPED;
      return new LocalPostgresState(
          rs, fileRole(initialized), 0, initialized, Optional.empty(), Optional.empty());
    }
    long pid = pidFile.get().pid();
    try {
      ServerStatus status = client.status();
      PostgresRole role = status.inRecovery() ? PostgresRole.REPLICA : PostgresRole.PRIMARY;
      return new LocalPostgresState(
          RunState.RUNNING, role, pid, initialized, Optional.of(status), Optional.empty());
    } catch (PostgresQueryException ex) {
      return new LocalPostgresState(
          RunState.RUNNING,
          fileRole(initialized),
          pid,
          initialized,
          Optional.empty(),
          Optional.of(ex.getMessage()));
    }
  }

  /** A running server as {@code status} shows it, without another query. */
  LocalPostgresState runningState(ServerStatus status) {
    long pid = PostmasterPid.read(dataDir).map(PostmasterPid::pid).orElse(0L);
    return new LocalPostgresState(
        RunState.RUNNING,
        status.inRecovery() ? PostgresRole.REPLICA : PostgresRole.PRIMARY,
        pid,
        true,
        Optional.of(status),
        Optional.empty());
  }

  PostgresRole fileRole(boolean initialized) {
    if (!initialized) {
      return PostgresRole.UNKNOWN;
    }
    return files.standbySignal() ? PostgresRole.REPLICA : PostgresRole.PRIMARY;
  }

  ControlData controlData() {
    CommandResult r =
        runner.run(
            List.of(binaries.pgControldata().toString(), "-D", dataDir.toString()),
            Map.of("LC_ALL", "C"),
            settings.pgCtlTimeout());
    if (!r.succeeded()) {
      throw new PostgresException("pg_controldata failed: " + r.outputTail(5));
    }
    return ControlData.parse(r.output());
  }

  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException ex) {
      return "";
    }
  }

  void warnOnce(String message) {
    if (warned.add(message)) {
      log.warn(message);
    }
  }

  /** A new configuration may bring the same problems back: warn about them again. */
  void clearWarnings() {
    warned.clear();
  }

  static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException ex) {
      log.debug("cannot delete {}", p, ex);
    }
  }
}
