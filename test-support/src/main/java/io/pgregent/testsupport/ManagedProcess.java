package io.pgregent.testsupport;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child process a test started, stopped by its PID. Every instance is registered with a reaper
 * that kills it when the JVM exits, so a failed or interrupted test leaves nothing behind. Output
 * goes to a log file, which failure messages can quote.
 */
public final class ManagedProcess implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
  private static final Set<ManagedProcess> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> LIVE.forEach(p -> p.process.destroyForcibly()), "managed-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path logFile;

  private ManagedProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts {@code command} with its output appended to {@code logFile}.
   *
   * @param name a short name for log lines
   */
  public static ManagedProcess start(
      String name, List<String> command, Path workDir, Map<String, String> env, Path logFile) {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      ManagedProcess mp = new ManagedProcess(name, p, logFile);
      LIVE.add(mp);
      log.info("started {} (pid {}): {}", name, p.pid(), String.join(" ", command));
      return mp;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return logFile;
  }

  /** The last lines of the log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code grace}; waits for the exit. */
  /**
   * Waits until {@code ready} holds (an exception from it counts as not yet), polling every {@code
   * poll}; past {@code atMost}, kills the process and fails quoting the end of its log.
   */
  public void awaitReady(String what, Duration atMost, Duration poll, Callable<Boolean> ready) {
    try {
      await()
          .atMost(atMost)
          .pollInterval(poll)
          .ignoreExceptions()
          .until(
              () -> {
                if (!isAlive()) {
                  throw new IllegalStateException(what + " exited: " + logTail(30));
                }
                return ready.call();
              });
    } catch (RuntimeException e) {
      String tail = logTail(30);
      kill();
      throw new IllegalStateException(what + " did not become ready:\n" + tail, e);
    }
  }

  public void stop(Duration grace) {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          kill();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill();
      }
    }
    LIVE.remove(this);
  }

  /** SIGKILL, and wait for the exit. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LIVE.remove(this);
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }

  @Override
  public String toString() {
    return name + "(pid " + process.pid() + ")";
  }
}
