package io.pgregent.testsupport.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What PostgreSQL tests need from the machine. PostgreSQL refuses to run as root, so a test running
 * as root runs it as an unprivileged OS user ({@link #osUser()}, created with {@code useradd
 * --system} when missing) and keeps its files under directories that user can traverse ({@link
 * #newBaseDir}).
 */
public final class PostgresTestEnvironment {

  private static final Logger log = LoggerFactory.getLogger(PostgresTestEnvironment.class);

  /** System property naming the OS user for PostgreSQL when tests run as root. */
  public static final String USER_PROPERTY = "regent.test.postgres_user";

  private PostgresTestEnvironment() {}

  /** Whether the JVM runs as root. */
  public static boolean runningAsRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException ex) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /**
   * The OS user PostgreSQL runs as in tests: when root, {@code regent.test.postgres_user} (default
   * {@code postgres}), created as a system user if missing; otherwise the current user.
   */
  public static synchronized String osUser() {
    if (!runningAsRoot()) {
      return System.getProperty("user.name");
    }
    String user = System.getProperty(USER_PROPERTY, "postgres");
    if (!userExists(user)) {
      log.info("creating the system user {} for PostgreSQL tests", user);
      run(List.of("useradd", "--system", "--user-group", "--no-create-home", user));
      if (!userExists(user)) {
        throw new IllegalStateException("useradd did not create " + user);
      }
    }
    return user;
  }

  /**
   * A new empty directory for one test's PostgreSQL files, traversable by every user (mode 0755) so
   * the PostgreSQL user reaches the data directories Regent creates inside it.
   */
  public static Path newBaseDir(String prefix) {
    try {
      Path dir =
          Files.createTempDirectory(
              prefix,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return dir;
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot create a temporary directory", ex);
    }
  }

  /** Deletes {@code dir} and everything in it; stop the servers using it first. */
  public static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ex) {
      log.warn("cannot delete {}: {}", dir, ex.getMessage());
    }
  }

  static boolean userExists(String user) {
    try {
      return Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8).stream()
              .anyMatch(l -> l.startsWith(user + ":"))
          || run(List.of("id", "-u", user)) == 0;
    } catch (IOException ex) {
      return run(List.of("id", "-u", user)) == 0;
    }
  }

  private static int run(List<String> command) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within 30 s");
      }
      return p.exitValue();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot run " + command, ex);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, ex);
    }
  }
}
