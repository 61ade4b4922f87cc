package io.pgregent.postgres.fence;

import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of the fence: a bash process ({@code regent-fence.sh}) that stops PostgreSQL with
 * an immediate shutdown when no keep-alive arrives before the deadline the last one announced.
 *
 * <p>The fence lives in a state directory owned by PostgreSQL's OS user (mode 0700): the script,
 * {@code fence.fifo} (the keep-alives), {@code fence.pid}, {@code fence.lock} (one fence per
 * directory) and {@code fence.log} (one line per event: started, armed, disarmed, deadline passed
 * and what it stopped; truncated past 1 MB). It runs in its own session with no stream tied to the
 * agent and holds its FIFO open read-write, so the agent's death leaves it running with its
 * deadline; {@link #startOrAdopt} in a restarted agent adopts it.
 *
 * <p>The fence counts with its own monotonic clock ({@code /proc/uptime}, 10 ms steps) and never
 * stops PostgreSQL before the deadline; it may stop it up to a few tens of milliseconds after, plus
 * scheduling delay, which the lease's safety margin covers.
 *
 * <p>Thread-safe: the HA loop and a guard thread may both call it.
 */
public final class FenceProcess {

  private static final Logger log = LoggerFactory.getLogger(FenceProcess.class);

  static final String SCRIPT = "regent-fence.sh";
  static final String FIFO = "fence.fifo";
  static final String PID_FILE = "fence.pid";
  static final String LOG_FILE = "fence.log";

  /** How long {@link #startOrAdopt(Path, Path, OsUser)} waits for a new fence to be ready. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  private static final int LOG_TAIL_BYTES = 64 * 1024;

  private final Path stateDir;
  private final ProcessHandle handle;
  private final boolean adopted;
  private FileChannel out;

  private FenceProcess(Path stateDir, ProcessHandle handle, boolean adopted, FileChannel out) {
    this.stateDir = stateDir;
    this.handle = handle;
    this.adopted = adopted;
    this.out = out;
  }

  /** {@link #startOrAdopt(Path, Path, OsUser, Duration)} with {@link #DEFAULT_START_TIMEOUT}. */
  public static FenceProcess startOrAdopt(Path stateDir, Path dataDir, OsUser user) {
    return startOrAdopt(stateDir, dataDir, user, DEFAULT_START_TIMEOUT);
  }

  /**
   * Adopts the fence already running for {@code stateDir} and {@code dataDir}, or starts one (as
   * {@code user}, disarmed). A pid file naming a dead process, or a process that is not this
   * directory's fence, is ignored; a fence of this directory guarding another data directory is
   * stopped and replaced.
   *
   * @param stateDir the fence's own directory, created (owned by {@code user}, mode 0700) if
   *     missing
   * @param dataDir the PostgreSQL data directory whose postmaster the fence stops
   * @throws FenceException when the fence cannot be started within {@code startTimeout}
   */
  public static FenceProcess startOrAdopt(
      Path stateDir, Path dataDir, OsUser user, Duration startTimeout) {
    Path data = dataDir.toAbsolutePath().normalize();
    synchronized (FenceProcess.class) {
      Path state = FenceDirectory.prepare(stateDir.toAbsolutePath().normalize(), user);
      for (int attempt = 0; ; attempt++) {
        Optional<ProcessHandle> running = runningFence(state);
        if (running.isPresent()) {
          List<String> args = commandLine(running.get().pid());
          if (args.size() >= 4 && args.get(3).equals(data.toString())) {
            log.info("adopted the running fence (pid {}) for {}", running.get().pid(), data);
            return connect(state, running.get(), true);
          }
          log.warn(
              "the fence (pid {}) in {} guards {}, not {}: replacing it",
              running.get().pid(),
              state,
              args.size() >= 4 ? args.get(3) : "?",
              data);
          connect(state, running.get(), true).stop();
        }
        Optional<FenceProcess> started = launch(state, data, user, startTimeout);
        if (started.isPresent()) {
          return started.get();
        }
        if (attempt >= 2) {
          throw new FenceException(
              "cannot start the fence in "
                  + state
                  + ": another one holds it"
                  + FenceDirectory.logTail(state));
        }
      }
    }
  }

  /**
   * Arms the fence (or keeps it armed): PostgreSQL is stopped unless another keep-alive arrives
   * within {@code remaining}. Zero or less stops it at once. Fast: one write on an open FIFO.
   *
   * @throws FenceException when the fence is gone or stopped, so this keep-alive protects nothing
   */
  public void keepAlive(Duration remaining) {
    long ms = Math.max(0, remaining.toMillis());
    send("keepalive " + ms + "\n", true);
  }

  /** No deadline until the next keep-alive. Does nothing when the fence is gone (nothing fires). */
  public void disarm() {
    send("disarm\n", false);
  }

  /** Disarms the fence and waits (bounded) for it to exit; PostgreSQL keeps running. */
  public void stop() {
    synchronized (this) {
      send("exit\n", false);
      closeQuietly();
    }
    if (!awaitExit(STOP_TIMEOUT)) {
      log.warn("the fence (pid {}) did not exit on request: terminating it", handle.pid());
      handle.destroy();
      if (!awaitExit(Duration.ofSeconds(1))) {
        handle.destroyForcibly();
        awaitExit(Duration.ofSeconds(1));
      }
    }
  }

  /**
   * Closes this client's end without telling the fence anything, as the agent's death would: the
   * fence keeps its deadline, and another client may adopt it.
   */
  public synchronized void detach() {
    closeQuietly();
  }

  /** Whether the fence process lives and runs (not stopped, not a zombie). */
  public boolean isAlive() {
    return problem().isEmpty();
  }

  /** The fence's pid. */
  public long pid() {
    return handle.pid();
  }

  /** Whether this client adopted a fence that was already running. */
  public boolean adopted() {
    return adopted;
  }

  /** The fence's event log. */
  public Path logFile() {
    return stateDir.resolve(LOG_FILE);
  }

  @Override
  public String toString() {
    return "fence(pid " + handle.pid() + ", " + stateDir + ")";
  }

  private synchronized void send(String line, boolean required) {
    if (out == null) {
      if (required) {
        throw new FenceException(this + " is no longer connected (stopped or detached)");
      }
      return;
    }
    Optional<String> problem = problem();
    if (problem.isPresent()) {
      closeQuietly();
      if (required) {
        throw new FenceException(this + " " + problem.get() + FenceDirectory.logTail(stateDir));
      }
      return;
    }
    // An interrupt would close the channel: keep it for after the write.
    boolean interrupted = Thread.interrupted();
    try {
      ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
    } catch (IOException ex) {
      closeQuietly();
      if (required) {
        throw new FenceException(
            this + " is gone: " + ex.getMessage() + FenceDirectory.logTail(stateDir), ex);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Why the fence cannot guard PostgreSQL now, if it cannot. */
  private Optional<String> problem() {
    if (!handle.isAlive()) {
      return Optional.of("has exited");
    }
    char state = processState(handle.pid());
    return switch (state) {
      case 'T', 't' -> Optional.of("is stopped (SIGSTOP or a debugger)");
      case 'Z', 'X' -> Optional.of("has exited");
      default -> Optional.empty();
    };
  }

  private boolean awaitExit(Duration timeout) {
    try {
      handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException ex) {
      return !handle.isAlive();
    } catch (ExecutionException ex) {
      return !handle.isAlive();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return !handle.isAlive();
    }
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ex) {
        log.debug("closing the fence FIFO: {}", ex.getMessage());
      }
      out = null;
    }
  }

  private static FenceProcess connect(Path state, ProcessHandle handle, boolean adopted) {
    Path fifo = state.resolve(FIFO);
    // Holding a read end while opening the write end keeps the open from blocking should the fence
    // die meanwhile; once it is closed, a dead fence shows as a failed write (EPIPE). The directory
    // belongs to PostgreSQL's user: never follow a link, never create, never truncate.
    Set<OpenOption> readWrite =
        Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    Set<OpenOption> writeOnly = Set.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    try (FileChannel guard = FileChannel.open(fifo, readWrite)) {
      FileChannel out = FileChannel.open(fifo, writeOnly);
      if (isSeekable(out) || isSeekable(guard)) {
        out.close();
        throw new FenceException(fifo + " is not a FIFO: refusing to write to it");
      }
      return new FenceProcess(state, handle, adopted, out);
    } catch (IOException ex) {
      throw new FenceException("cannot open the fence's " + fifo + ": " + ex.getMessage(), ex);
    }
  }

  private static boolean isSeekable(FileChannel channel) {
    try {
      channel.position();
      return true;
    } catch (IOException ex) {
      return false;
    }
  }

  /** The live fence named by the pid file, if the pid really is this directory's fence. */
  static Optional<ProcessHandle> runningFence(Path state) {
    Optional<Long> pid = FenceDirectory.readPid(state);
    if (pid.isEmpty()) {
      return Optional.empty();
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid.get()).filter(ProcessHandle::isAlive);
    if (handle.isEmpty() || "ZX".indexOf(processState(pid.get())) >= 0) {
      return Optional.empty();
    }
    List<String> args = commandLine(pid.get());
    boolean ours =
        args.size() >= 3
            && args.get(1).endsWith("/" + SCRIPT)
            && args.get(2).equals(state.toString());
    return ours ? handle : Optional.empty();
  }

  private static Optional<FenceProcess> launch(
      Path state, Path data, OsUser user, Duration timeout) {
    Path pidFile = state.resolve(PID_FILE);
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException ex) {
      throw new FenceException("cannot remove the stale " + pidFile + ": " + ex.getMessage(), ex);
    }
    List<String> command =
        user.wrap(
            List.of(
                "setsid",
                "--wait",
                "bash",
                state.resolve(SCRIPT).toString(),
                state.toString(),
                data.toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.clear();
    env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
    env.put("LC_ALL", "C");
    user.applyEnvironment(env);
    pb.directory(state.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // A pipe until the script points its output at its log: what setpriv or bash say if the start
    // fails reaches the exception; afterwards nothing ties the fence to the agent.
    pb.redirectErrorStream(true);
    Process process;
    try {
      process = pb.start();
    } catch (IOException ex) {
      throw new FenceException("cannot start the fence: " + ex.getMessage(), ex);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        Optional<ProcessHandle> running = runningFence(state);
        if (running.isPresent()) {
          log.info("started the fence (pid {}) for {}", running.get().pid(), data);
          closeQuietly(process.getInputStream());
          return Optional.of(connect(state, running.get(), false));
        }
        // Waiting on the launcher's exit doubles as the poll interval and sees a failed start.
        if (process.isAlive()) {
          process.waitFor(10, TimeUnit.MILLISECONDS);
        } else if (process.exitValue() == 3) {
          // Another fence holds this directory's lock: adopt it.
          return Optional.empty();
        } else {
          throw new FenceException(
              "the fence exited at start with status "
                  + process.exitValue()
                  + output(process)
                  + FenceDirectory.logTail(state));
        }
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new FenceException("interrupted while starting the fence", ex);
    }
    process.destroyForcibly();
    throw new FenceException(
        "the fence did not become ready within "
            + timeout.toMillis()
            + " ms"
            + FenceDirectory.logTail(state));
  }

  /** The arguments of {@code pid}, empty when it is gone or unreadable. */
  static List<String> commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      List<String> args = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return args;
    } catch (IOException ex) {
      return List.of();
    }
  }

  /** The state letter of {@code /proc/PID/stat} ('R', 'S', 'T', 'Z', …), or 'X' when gone. */
  static char processState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : 'X';
    } catch (IOException ex) {
      return 'X';
    }
  }

  private static String output(Process process) {
    try (InputStream in = process.getInputStream()) {
      String text = new String(in.readNBytes(LOG_TAIL_BYTES), StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? "" : ": " + text;
    } catch (IOException ex) {
      return "";
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ex) {
      log.debug("closing the fence's start-up output: {}", ex.getMessage());
    }
  }
}
