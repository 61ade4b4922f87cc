package io.pgregent.e2e;

import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One real Patroni agent (Debian's {@code /usr/bin/patroni}) as a separate process, with its own
 * PostgreSQL on free ports, configured like {@link RegentAgent} (same store, bootstrap.dcs and
 * PostgreSQL parameters) so benchmarks compare the two agents under one harness. Run as root, it
 * runs as the PostgreSQL OS user through {@code setpriv}, and its files belong to that user.
 */
public final class PatroniAgent extends AgentProcess {

  /** The Patroni executable; {@code -Dpatroni.bin} overrides it. */
  public static Path executable() {
    Path bin = Path.of(System.getProperty("patroni.bin", "/usr/bin/patroni"));
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException(
          "no Patroni at " + bin + " (apt-get install patroni, or -Dpatroni.bin=...)");
    }
    return bin;
  }

  private final Path runDir;
  private final Path executable;

  /** A Patroni agent run from {@code executable} (e.g. Patroni 4.1's virtualenv). */
  PatroniAgent(
      Path executable,
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      int ttl,
      int loopWait,
      int retryTimeout) {
    super(base, name);
    this.executable = executable;
    this.runDir = base.resolve(name + "-run");
    ownedDirectory(dataDir);
    ownedDirectory(runDir);
    String yaml =
        clusterYaml(scope, etcdHostPort, ttl, loopWait, retryTimeout)
            + postgresYaml(
                runDir.resolve("pgpass"), runDir, "  bin_dir: /usr/lib/postgresql/15/bin\n");
    try {
      Files.writeString(configFile, yaml);
      // Readable by the PostgreSQL user Patroni runs as.
      Files.setPosixFilePermissions(configFile, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  @Override
  public void start() {
    List<String> command = new ArrayList<>();
    if (PostgresTestEnvironment.runningAsRoot()) {
      // setpriv execs, so the process started is Patroni's own (its PID is the agent's).
      String user = PostgresTestEnvironment.osUser();
      command.addAll(List.of("setpriv", "--reuid", user, "--regid", user, "--init-groups"));
    }
    command.add(executable.toString());
    command.add(configFile.toString());
    launch("patroni-" + name, command, Map.of("HOME", runDir.toString(), "PYTHONUNBUFFERED", "1"));
  }
}
