package io.pgregent.postgres;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.StandbySettings;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.status.PostgresQueryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The postmaster's lifecycle: start, stop, restart, reload, and crash recovery while stopped. */
final class ProcessControl {

  private static final Logger log = LoggerFactory.getLogger(ProcessControl.class);

  private final LocalNode node;
  private final ServerConfiguration config;
  private final DataDirectory dataDirectory;

  ProcessControl(LocalNode node, ServerConfiguration config, DataDirectory dataDirectory) {
    this.node = node;
    this.config = config;
    this.dataDirectory = dataDirectory;
  }

  void start(boolean callback) {
    start(callback, node.settings.pgHba());
  }

  /**
   * As {@link #start(boolean)}; a primary's data comes up as a standby without upstream unless
   * {@code mayBePrimary} says so, asked as late as possible: right before the server starts.
   */
  void start(boolean callback, BooleanSupplier mayBePrimary) {
    if (node.fileRole(true) == PostgresRole.PRIMARY && !mayBePrimary.getAsBoolean()) {
      log.warn("the leader lease lapsed before the start: starting as a standby");
      config.writeStandbyWithoutUpstream();
    }
    start(callback);
  }

  void start(boolean callback, List<String> pgHba) {
    dataDirectory.checkHoldsCluster();
    Optional<PostmasterPid> pid = PostmasterPid.read(node.dataDir);
    if (pid.isPresent() && pid.get().isAlive()) {
      log.info("adopting the running postmaster (pid {}) of {}", pid.get().pid(), node.dataDir);
      node.expectRunning = true;
      return;
    }
    checkPortFree();
    config.write(pgHba, true);
    try {
      Path logDir = node.logFile().getParent();
      Files.createDirectories(logDir);
      node.runner.user().chown(logDir);
      createSocketDirectories();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot create " + node.logFile().getParent(), ex);
    }
    Duration timeout = node.settings.pgCtlTimeout();
    List<String> cmd =
        node.pgCtl(
            "start",
            "-l",
            node.logFile().toString(),
            "-w",
            "-t",
            Long.toString(Math.max(1, timeout.toSeconds())));
    for (String option : node.serverOptions()) {
      // pg_ctl hands -o to a shell
      cmd.add("-o");
      cmd.add("'" + option.replace("'", "'\\''") + "'");
    }
    CommandResult r;
    try {
      r = node.runner.run(cmd, Map.of(), timeout.plusSeconds(5));
    } catch (PostgresException ex) {
      r = new CommandResult(cmd, -1, ex.getMessage());
    }
    if (!r.succeeded()) {
      // pg_ctl gives up waiting but leaves a slow postmaster running: remember it.
      node.expectRunning = node.isRunning();
      String tail = node.logTail(15);
      if (tail.contains("could not bind") || tail.contains("Address already in use")) {
        throw new PostgresSetupException(
            "PostgreSQL cannot listen on "
                + node.settings.listen()
                + ": the port is in use by another process; change the port in postgresql.listen"
                + " or stop that process");
      }
      if (lastFatal(tail).contains("lock file \"postmaster.pid\" already exists")) {
        throw new PostmasterStillPresentException(
            "PostgreSQL did not start: the previous postmaster of "
                + node.dataDir
                + " has not gone yet (try again shortly): "
                + lastFatal(tail));
      }
      throw new PostgresException(
          "PostgreSQL did not start within "
              + timeout.toSeconds()
              + " s: "
              + r.outputTail(3)
              + "\n"
              + tail);
    }
    node.expectRunning = true;
    node.client.reset();
    boolean accepting =
        node.waiter.await(
            () -> {
              try {
                node.client.execute("SELECT 1");
              } catch (PostgresQueryException ex) {
                // An authentication or authorization error comes from a server that answers.
                if (!(ex.getCause() instanceof SQLException sql)
                    || sql.getSQLState() == null
                    || !sql.getSQLState().startsWith("28")) {
                  throw ex;
                }
                node.warnOnce("PostgreSQL runs but refuses Regent's superuser: " + ex.getMessage());
              }
              return true;
            },
            timeout);
    if (!accepting) {
      throw new PostgresException(
          "PostgreSQL started but does not accept connections within "
              + timeout.toSeconds()
              + " s: "
              + node.logTail(5));
    }
    if (callback) {
      node.callbacks.call(CallbackAction.ON_START, node.fileRole(true));
    }
  }

  void emergencyStop(Duration timeout) {
    Optional<PostmasterPid> pid = PostmasterPid.read(node.dataDir).filter(PostmasterPid::isAlive);
    node.expectRunning = false;
    if (pid.isEmpty()) {
      return;
    }
    shutDown(pid.get(), StopMode.IMMEDIATE, timeout);
  }

  void stop(StopMode mode, Duration timeout, boolean callback) {
    Optional<PostmasterPid> pid = PostmasterPid.read(node.dataDir).filter(PostmasterPid::isAlive);
    node.expectRunning = false;
    if (pid.isEmpty()) {
      return;
    }
    PostgresRole role = node.fileRole(true);
    runBeforeStop(timeout);
    shutDown(pid.get(), mode, timeout);
    if (callback) {
      node.callbacks.call(CallbackAction.ON_STOP, role);
    }
  }

  /** Stops fast with the usual timeout, without {@code on_stop}. */
  void stopQuietly() {
    stop(StopMode.FAST, node.settings.pgCtlTimeout(), false);
  }

  private void shutDown(PostmasterPid pid, StopMode mode, Duration timeout) {
    node.client.reset();
    for (StopMode m : mode.escalation()) {
      List<String> cmd =
          node.pgCtl(
              "stop",
              "-m",
              m.pgCtlName(),
              "-w",
              "-t",
              Long.toString(Math.max(1, timeout.toSeconds())));
      try {
        CommandResult r = node.runner.run(cmd, Map.of(), timeout.plusSeconds(5));
        if (r.succeeded() && !pid.isAlive()) {
          break;
        }
        log.warn("pg_ctl stop -m {} did not stop PostgreSQL: {}", m.pgCtlName(), r.outputTail(2));
      } catch (PostgresException ex) {
        log.warn("pg_ctl stop -m {} failed: {}", m.pgCtlName(), ex.getMessage());
      }
    }
    if (pid.isAlive()) {
      log.warn("killing the postmaster (pid {}) after the immediate stop timed out", pid.pid());
      ProcessHandle.of(pid.pid()).ifPresent(ProcessHandle::destroyForcibly);
      awaitExit(pid.pid(), timeout);
    }
  }

  private static void awaitExit(long pid, Duration timeout) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty()) {
      return;
    }
    try {
      h.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException ex) {
      log.warn("pid {} still alive after {} ms", pid, timeout.toMillis());
    }
  }

  void restart(BooleanSupplier mayStayPrimary) {
    PostgresRole role = node.fileRole(true);
    stopQuietly();
    if (role == PostgresRole.PRIMARY && !mayStayPrimary.getAsBoolean()) {
      log.warn("the leader lock was lost during the restart: starting as a standby");
      config.writeStandbyWithoutUpstream();
    }
    start(false);
    node.callbacks.call(CallbackAction.ON_RESTART, role);
  }

  void reload() {
    config.write();
    config.reloadServer();
    node.callbacks.call(CallbackAction.ON_RELOAD, node.fileRole(true));
  }

  private void runBeforeStop(Duration timeout) {
    String script = node.settings.beforeStop();
    if (script == null || script.isBlank()) {
      return;
    }
    try {
      CommandResult r = node.runner.runScript(CommandLine.split(script), Map.of(), timeout);
      if (!r.succeeded()) {
        log.warn("before_stop exited with {}: {}", r.exitCode(), r.outputTail(3));
      }
    } catch (PostgresException ex) {
      log.warn("before_stop: {}", ex.getMessage());
    }
  }

  // ---------------------------------------------------------------- crash recovery

  /** Finishes an unclean shutdown of the stopped server, as a primary or as a standby. */
  void finishCrashRecovery() {
    if (node.controlData().clusterState().equals("in archive recovery")) {
      finishStandbyCrashRecovery();
      return;
    }
    log.info(
        "the last shutdown of {} was not clean: running crash recovery in single-user mode",
        node.dataDir);
    StandbySettings keep = config.standby();
    config.standby(null);
    config.write();
    try {
      List<String> cmd = new java.util.ArrayList<>();
      cmd.addAll(List.of(node.binaries.postgres().toString(), "--single", "-D"));
      cmd.add(node.dataDir.toString());
      cmd.addAll(node.serverOptions());
      cmd.addAll(List.of("-c", "archive_mode=off", "-c", "archive_command=false", "postgres"));
      CommandResult r = node.runner.run(cmd, Map.of(), node.settings.pgCtlTimeout());
      if (!r.succeeded()) {
        throw new PostgresException(
            "crash recovery in single-user mode failed: " + r.outputTail(5));
      }
    } finally {
      config.standby(keep);
    }
  }

  void recoverCrashedStandby() {
    if (!node.isRunning() && node.controlData().clusterState().equals("in archive recovery")) {
      finishStandbyCrashRecovery();
    }
  }

  /**
   * A standby that crashed recovers as a standby without upstream (replaying only its own WAL) and
   * stops cleanly. Single-user mode would end recovery and write a checkpoint into the timeline it
   * shares with the leader: WAL the leader has at those positions would then be skipped on replay,
   * and commits the leader counted as flushed there would be missing.
   */
  private void finishStandbyCrashRecovery() {
    log.info(
        "the last shutdown of standby {} was not clean: running crash recovery as a standby"
            + " without upstream",
        node.dataDir);
    StandbySettings keep = config.standby();
    config.standby(new StandbySettings("", null));
    try {
      start(false);
    } finally {
      try {
        stopQuietly();
      } finally {
        config.standby(keep);
        config.write();
      }
    }
  }

  // ---------------------------------------------------------------- checks

  private void checkPortFree() {
    for (String host : node.settings.listenAddresses().split(",")) {
      String h = host.strip();
      if (h.equals("*") || h.isEmpty()) {
        h = "0.0.0.0";
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(h), node.settings.port()));
      } catch (BindException ex) {
        throw new PostgresSetupException(
            "port "
                + node.settings.port()
                + " on "
                + h
                + " is already in use by another process: change the port in postgresql.listen ("
                + node.settings.listen()
                + ") or stop that process");
      } catch (IOException ex) {
        throw new PostgresSetupException(
            "cannot listen on "
                + h
                + ":"
                + node.settings.port()
                + " ("
                + ex.getMessage()
                + "): check postgresql.listen");
      }
    }
  }

  private void createSocketDirectories() throws IOException {
    String dirs = config.effectiveParameters().get("unix_socket_directories");
    if (dirs == null) {
      return;
    }
    for (String d : dirs.split(",")) {
      String dir = d.strip();
      if (dir.startsWith("/") && !Files.exists(Path.of(dir))) {
        Files.createDirectories(Path.of(dir));
        node.runner.user().chown(Path.of(dir));
      }
    }
  }

  /** The last FATAL line of a log tail, or "". */
  private static String lastFatal(String tail) {
    String last = "";
    for (String line : tail.split("\n")) {
      if (line.contains("FATAL:")) {
        last = line.strip();
      }
    }
    return last;
  }
}
