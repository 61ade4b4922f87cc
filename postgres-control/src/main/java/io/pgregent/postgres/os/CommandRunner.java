package io.pgregent.postgres.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs PostgreSQL's programs and user scripts as the {@link OsUser}, each bounded by a timeout
 * (killed with its descendants when it runs over). Output goes to a temporary file, so no reader
 * thread is needed and a daemonizing child cannot hold the caller.
 */
public final class CommandRunner {

  private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);

  private final OsUser user;

  public CommandRunner(OsUser user) {
    this.user = user;
  }

  public OsUser user() {
    return user;
  }

  /**
   * Runs {@code command} and waits at most {@code timeout} for it.
   *
   * @param env extra environment variables
   * @throws CommandTimeoutException when it did not finish in time (it is killed)
   * @throws UncheckedIOException when it cannot be started
   */
  public CommandResult run(List<String> command, Map<String, String> env, Duration timeout) {
    return run(command, env, timeout, null);
  }

  /**
   * As {@link #run(List, Map, Duration)}, from the agent's working directory: a user's script
   * (bootstrap or replica method, post_bootstrap, pre_promote, before_stop) runs where Patroni runs
   * it, so relative paths in its command line resolve as they would there.
   */
  public CommandResult runScript(List<String> command, Map<String, String> env, Duration timeout) {
    return run(command, env, timeout, Path.of("").toAbsolutePath());
  }

  private CommandResult run(
      List<String> command, Map<String, String> env, Duration timeout, Path directory) {
    Path out;
    try {
      out = Files.createTempFile("regent-cmd", ".out");
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot create a temporary file for command output", ex);
    }
    Process process = null;
    try {
      ProcessBuilder pb = builder(command, env);
      if (directory != null) {
        pb.directory(directory.toFile());
      }
      pb.redirectErrorStream(true).redirectOutput(out.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      if (log.isDebugEnabled()) {
        log.debug("running {}", redacted(command));
      }
      process = pb.start();
      boolean finished = process.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
      if (!finished) {
        kill(process);
        throw new CommandTimeoutException(command.get(0), timeout);
      }
      String output = Files.readString(out, StandardCharsets.UTF_8);
      return new CommandResult(command, process.exitValue(), output);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot run " + command.get(0) + ": " + ex.getMessage(), ex);
    } catch (InterruptedException ex) {
      // A cancelled command must not run on behind its caller (e.g. an abandoned start).
      if (process != null) {
        kill(process);
      }
      Thread.currentThread().interrupt();
      throw new CommandTimeoutException(command.get(0), Duration.ZERO);
    } finally {
      try {
        Files.deleteIfExists(out);
      } catch (IOException ex) {
        log.debug("cannot delete {}", out, ex);
      }
    }
  }

  /** Starts {@code command} without waiting, its output discarded; the caller owns the process. */
  public Process startDetached(List<String> command, Map<String, String> env) {
    return startDetached(command, env, null);
  }

  /**
   * As {@link #startDetached(List, Map)}, run from {@code directory} (null: {@code /}): callbacks
   * run from the agent's working directory, so relative paths in them resolve as in Patroni.
   */
  public Process startDetached(
      List<String> command, Map<String, String> env, java.nio.file.Path directory) {
    try {
      ProcessBuilder pb = builder(command, env);
      if (directory != null) {
        pb.directory(directory.toFile());
      }
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      return pb.start();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot run " + command.get(0) + ": " + ex.getMessage(), ex);
    }
  }

  /** Kills {@code process} and everything it started (SIGKILL). */
  public static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  private ProcessBuilder builder(List<String> command, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(user.wrap(command));
    Map<String, String> environment = pb.environment();
    Map<String, String> extra = new HashMap<>(env);
    user.applyEnvironment(environment);
    environment.putAll(extra);
    // PostgreSQL's programs must never read the agent's own libpq settings by accident.
    environment.remove("PGDATA");
    environment.keySet().removeIf(k -> k.startsWith("PG") && !extra.containsKey(k));
    pb.directory(new java.io.File("/"));
    return pb;
  }

  // Connection strings may carry the key's passphrase (sslpassword): never log it.
  private static final java.util.regex.Pattern SSLPASSWORD =
      java.util.regex.Pattern.compile("sslpassword=('(?:[^'\\\\]|\\\\.)*'|\\S+)");

  static String redacted(List<String> command) {
    return SSLPASSWORD.matcher(command.toString()).replaceAll("sslpassword=<hidden>");
  }
}
