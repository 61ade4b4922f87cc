package io.pgregent.postgres;

import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.os.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds PostgreSQL's programs: {@code postgresql.bin_dir} when set, else the directory of a real
 * {@code pg_ctl} on {@code PATH} (symlinks followed; Debian's {@code pg_wrapper} is skipped), else
 * the newest {@code /usr/lib/postgresql/<version>/bin}. All programs come from one directory so
 * their versions match.
 */
public final class PostgresBinariesResolver {

  /** The programs Regent needs. */
  public static final List<String> PROGRAMS =
      List.of("pg_ctl", "initdb", "postgres", "pg_basebackup", "pg_rewind", "pg_controldata");

  /** The oldest supported major version. */
  public static final int MIN_MAJOR_VERSION = 13;

  private static final Logger log = LoggerFactory.getLogger(PostgresBinariesResolver.class);
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

  private final CommandRunner runner;
  private final String pathVariable;
  private final Path versionedRoot;

  /**
   * @param pathVariable the {@code PATH} to search
   * @param versionedRoot where versioned installations live ({@code /usr/lib/postgresql})
   */
  public PostgresBinariesResolver(CommandRunner runner, String pathVariable, Path versionedRoot) {
    this.runner = runner;
    this.pathVariable = pathVariable == null ? "" : pathVariable;
    this.versionedRoot = versionedRoot;
  }

  public static PostgresBinariesResolver system(CommandRunner runner) {
    return new PostgresBinariesResolver(
        runner, System.getenv("PATH"), Path.of("/usr/lib/postgresql"));
  }

  /**
   * Resolves the programs.
   *
   * @param binDir {@code postgresql.bin_dir}, may be null
   * @param binName {@code postgresql.bin_name.*} overrides
   * @throws PostgresSetupException naming the missing program and the settings to change
   */
  public PostgresBinaries resolve(Path binDir, Map<String, String> binName) {
    if (binDir != null) {
      Map<String, Path> programs = new LinkedHashMap<>();
      for (String program : PROGRAMS) {
        Path p = binDir.resolve(binName.getOrDefault(program, program));
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
          throw new PostgresSetupException(
              "PostgreSQL program '"
                  + binName.getOrDefault(program, program)
                  + "' not found or not executable in "
                  + binDir
                  + " (setting postgresql.bin_dir): point postgresql.bin_dir at the directory"
                  + " holding pg_ctl, initdb, postgres, pg_basebackup, pg_rewind and"
                  + " pg_controldata (or set postgresql.bin_name."
                  + program
                  + "), or install the PostgreSQL server package (e.g. apt-get install"
                  + " postgresql).");
        }
        programs.put(program, p);
      }
      return withVersion(binDir, programs);
    }
    List<Path> candidates = new ArrayList<>();
    candidateFromPath(binName).ifPresent(candidates::add);
    candidates.addAll(versionedDirectories());
    for (Path dir : candidates) {
      Optional<Map<String, Path>> programs = complete(dir, binName);
      if (programs.isPresent()) {
        return withVersion(dir, programs.get());
      }
      log.debug("{} does not hold every PostgreSQL program, skipping it", dir);
    }
    throw new PostgresSetupException(
        "PostgreSQL server programs (pg_ctl, initdb, postgres, pg_basebackup, pg_rewind,"
            + " pg_controldata) not found on PATH nor in "
            + versionedRoot
            + "/<version>/bin: install the PostgreSQL server package (e.g. apt-get install"
            + " postgresql) or set postgresql.bin_dir.");
  }

  private Optional<Path> candidateFromPath(Map<String, String> binName) {
    String pgCtl = binName.getOrDefault("pg_ctl", "pg_ctl");
    for (String entry : pathVariable.split(":")) {
      if (entry.isBlank()) {
        continue;
      }
      Path p = Path.of(entry).resolve(pgCtl);
      if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
        continue;
      }
      try {
        Path real = p.toRealPath();
        // Debian's pg_wrapper (and pg_ctlcluster) are scripts with another name: skip them.
        if (real.getFileName().toString().equals(pgCtl)
            && !real.toString().contains("postgresql-common")) {
          return Optional.of(real.getParent());
        }
      } catch (IOException ex) {
        log.debug("cannot resolve {}", p, ex);
      }
    }
    return Optional.empty();
  }

  private List<Path> versionedDirectories() {
    if (versionedRoot == null || !Files.isDirectory(versionedRoot)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(versionedRoot)) {
      return s.filter(d -> d.getFileName().toString().matches("\\d+(\\.\\d+)?"))
          .sorted(
              Comparator.comparingDouble((Path d) -> Double.parseDouble(d.getFileName().toString()))
                  .reversed())
          .map(d -> d.resolve("bin"))
          .filter(Files::isDirectory)
          .toList();
    } catch (IOException ex) {
      return List.of();
    }
  }

  private static Optional<Map<String, Path>> complete(Path dir, Map<String, String> binName) {
    Map<String, Path> programs = new LinkedHashMap<>();
    for (String program : PROGRAMS) {
      Path p = dir.resolve(binName.getOrDefault(program, program));
      if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
        return Optional.empty();
      }
      programs.put(program, p);
    }
    return Optional.of(programs);
  }

  private PostgresBinaries withVersion(Path dir, Map<String, Path> programs) {
    CommandResult r =
        runner.run(List.of(programs.get("pg_ctl").toString(), "--version"), Map.of(), TIMEOUT);
    Matcher m = VERSION.matcher(r.output());
    if (!r.succeeded() || !m.find()) {
      throw new PostgresSetupException(
          programs.get("pg_ctl")
              + " --version failed ("
              + r.outputTail(3)
              + "): check postgresql.bin_dir");
    }
    int major = Integer.parseInt(m.group(1));
    if (major < MIN_MAJOR_VERSION) {
      throw new PostgresSetupException(
          "PostgreSQL "
              + major
              + " in "
              + dir
              + " is not supported (13 or newer is): set postgresql.bin_dir to a newer"
              + " installation");
    }
    log.info("using PostgreSQL {} programs in {}", major, dir);
    return new PostgresBinaries(dir, major, programs);
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
}
