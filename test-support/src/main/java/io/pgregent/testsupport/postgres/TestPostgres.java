package io.pgregent.testsupport.postgres;

import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A throw-away PostgreSQL server for tests: {@code initdb} into a temporary directory, then {@code
 * postgres} as a child process on a free loopback port, stopped by its PID on {@link #close()}
 * (which also deletes the directory). When the JVM runs as root, both run as {@link
 * PostgresTestEnvironment#osUser()} through {@code setpriv}. The superuser is {@code postgres},
 * trusted on 127.0.0.1 (no password).
 */
public final class TestPostgres implements AutoCloseable {

  private final Path baseDir;
  private final Path dataDir;
  private final int port;
  private final ManagedProcess process;

  private TestPostgres(Path baseDir, Path dataDir, int port, ManagedProcess process) {
    this.baseDir = baseDir;
    this.dataDir = dataDir;
    this.port = port;
    this.process = process;
  }

  /** Creates and starts a server; waits (at most {@code timeout}) until it accepts TCP. */
  public static TestPostgres start(String name, Duration timeout) {
    Path bin = binDir();
    Path base = PostgresTestEnvironment.newBaseDir("regent-pg-" + name);
    Path data = base.resolve("data");
    Path sockets = base.resolve("sockets");
    try {
      Files.createDirectories(data);
      Files.createDirectories(sockets);
      ownByTestUser(data);
      ownByTestUser(sockets);
      Path log = base.resolve("postgres.log");
      Files.createFile(log);
      int exit =
          runAsUser(
              List.of(
                  bin.resolve("initdb").toString(),
                  "-D",
                  data.toString(),
                  "-U",
                  "postgres",
                  "--auth=trust",
                  "--no-sync"),
              timeout);
      if (exit != 0) {
        throw new IllegalStateException("initdb failed with exit " + exit);
      }
      int port = FreePorts.next();
      ManagedProcess p =
          ManagedProcess.start(
              "postgres-" + name,
              asUser(
                  List.of(
                      bin.resolve("postgres").toString(),
                      "-D",
                      data.toString(),
                      "-p",
                      Integer.toString(port),
                      "-c",
                      "listen_addresses=127.0.0.1",
                      "-c",
                      "unix_socket_directories=" + sockets,
                      "-c",
                      "fsync=off",
                      "-c",
                      "shared_buffers=16MB")),
              null,
              Map.of(),
              log);
      TestPostgres pg = new TestPostgres(base, data, port, p);
      try {
        Awaitility.await("postgres-" + name + " accepting connections")
            .atMost(timeout)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> !p.isAlive() || pg.acceptsTcp());
        if (!p.isAlive()) {
          throw new IllegalStateException("postgres exited:\n" + p.logTail(20));
        }
      } catch (RuntimeException ex) {
        pg.close();
        throw ex;
      }
      return pg;
    } catch (IOException ex) {
      PostgresTestEnvironment.deleteTree(base);
      throw new UncheckedIOException("cannot prepare a PostgreSQL test server", ex);
    }
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The postmaster's PID. */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** A JDBC URL for the {@code postgres} database as the trusted superuser {@code postgres}. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /** The server log's last lines, for failure messages. */
  public String logTail(int lines) {
    return process.logTail(lines);
  }

  private boolean acceptsTcp() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return Files.exists(dataDir.resolve("postmaster.pid"))
          && Files.readString(dataDir.resolve("postmaster.pid")).contains("ready");
    } catch (IOException ex) {
      return false;
    }
  }

  /** SIGTERM (smart shutdown), SIGKILL after 20 s, then deletes the directory. */
  @Override
  public void close() {
    process.stop(Duration.ofSeconds(20));
    PostgresTestEnvironment.deleteTree(baseDir);
  }

  /** The newest {@code /usr/lib/postgresql/<v>/bin}, else the real directory of pg_ctl on PATH. */
  public static Path binDir() {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> s = Files.list(root)) {
        Optional<Path> newest =
            s.filter(d -> d.getFileName().toString().matches("\\d+"))
                .filter(d -> Files.isExecutable(d.resolve("bin").resolve("initdb")))
                .max(Comparator.comparingInt(d -> Integer.parseInt(d.getFileName().toString())));
        if (newest.isPresent()) {
          return newest.get().resolve("bin");
        }
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path initdb = Path.of(dir.isEmpty() ? "." : dir).resolve("initdb");
      if (Files.isExecutable(initdb)) {
        try {
          return initdb.toRealPath().getParent();
        } catch (IOException ex) {
          throw new UncheckedIOException(ex);
        }
      }
    }
    throw new IllegalStateException(
        "no PostgreSQL server programs: apt-get install postgresql (Debian 12: postgresql-15)");
  }

  private static List<String> asUser(List<String> command) {
    if (!PostgresTestEnvironment.runningAsRoot()) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    String user = PostgresTestEnvironment.osUser();
    wrapped.add("setpriv");
    wrapped.add("--reuid=" + user);
    wrapped.add("--regid=" + primaryGroup(user));
    wrapped.add("--init-groups");
    wrapped.addAll(command);
    return wrapped;
  }

  private static String primaryGroup(String user) {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
        String[] f = line.split(":", -1);
        if (f.length > 3 && f[0].equals(user)) {
          return f[3];
        }
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    throw new IllegalStateException("no /etc/passwd entry for " + user);
  }

  private static int runAsUser(List<String> command, Duration timeout) {
    try {
      Process p =
          new ProcessBuilder(asUser(command))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .directory(new java.io.File("/"))
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command.get(0) + " did not finish within " + timeout);
      }
      return p.exitValue();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(ex);
    }
  }

  private static void ownByTestUser(Path path) throws IOException {
    if (PostgresTestEnvironment.runningAsRoot()) {
      UserPrincipal user =
          path.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(PostgresTestEnvironment.osUser());
      Files.setOwner(path, user);
    }
  }
}
