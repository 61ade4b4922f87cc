package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Binary lookup against the machine's real PostgreSQL, arranged in temporary directories of
 * symlinks: bin_dir, then PATH (following symlinks, skipping Debian's pg_wrapper), then the newest
 * versioned directory.
 */
class PostgresBinariesResolverTests {

  static Path base;
  static CommandRunner runner;
  static PostgresBinaries real;

  @BeforeAll
  static void setUp() {
    base = PostgresTestEnvironment.newBaseDir("regent-binaries");
    runner = new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser()));
    real = PostgresBinariesResolver.system(runner).resolve(null, Map.of());
  }

  @AfterAll
  static void tearDown() {
    PostgresTestEnvironment.deleteTree(base);
  }

  private static Path versionDir(Path root, String version, boolean complete) throws Exception {
    Path bin = Files.createDirectories(root.resolve(version).resolve("bin"));
    for (String p : PostgresBinariesResolver.PROGRAMS) {
      if (complete || p.equals("pg_ctl")) {
        Files.createSymbolicLink(bin.resolve(p), real.programs().get(p));
      }
    }
    return bin;
  }

  @Test
  void theSystemInstallationIsComplete() {
    assertThat(real.majorVersion()).isGreaterThanOrEqualTo(13);
    assertThat(real.programs()).containsOnlyKeys(PostgresBinariesResolver.PROGRAMS);
    real.programs().values().forEach(p -> assertThat(p).isExecutable());
  }

  @Test
  void binDirWins() throws Exception {
    Path bin = versionDir(Files.createDirectories(base.resolve("custom")), "x", true);
    PostgresBinaries b =
        new PostgresBinariesResolver(runner, real.binDir().toString(), base.resolve("none"))
            .resolve(bin, Map.of());
    assertThat(b.binDir()).isEqualTo(bin);
    assertThat(b.pgCtl()).isEqualTo(bin.resolve("pg_ctl"));
  }

  @Test
  void aSymlinkOnPathLeadsToTheRealInstallationDirectory() throws Exception {
    Path onPath = Files.createDirectories(base.resolve("local-bin"));
    Files.createSymbolicLink(onPath.resolve("pg_ctl"), real.pgCtl());
    PostgresBinaries b =
        new PostgresBinariesResolver(runner, onPath.toString(), base.resolve("none"))
            .resolve(null, Map.of());
    assertThat(b.binDir()).isEqualTo(real.pgCtl().toRealPath().getParent());
  }

  @Test
  void debiansWrapperOnPathIsSkippedForTheNewestCompleteVersionedDirectory() throws Exception {
    Path onPath = Files.createDirectories(base.resolve("usr-bin"));
    Path common = Files.createDirectories(base.resolve("postgresql-common"));
    Path wrapper = common.resolve("pg_wrapper");
    Files.writeString(wrapper, "#!/bin/sh\nexit 1\n");
    wrapper.toFile().setExecutable(true);
    Files.createSymbolicLink(onPath.resolve("pg_ctl"), wrapper);
    Path root = Files.createDirectories(base.resolve("lib-postgresql"));
    versionDir(root, "13", true);
    Path newest = versionDir(root, "16", true);
    versionDir(root, "17", false);

    PostgresBinaries b =
        new PostgresBinariesResolver(runner, onPath.toString(), root).resolve(null, Map.of());

    assertThat(b.binDir()).isEqualTo(newest);
  }

  @Test
  void nothingFoundNamesThePackageAndTheSetting() {
    assertThatThrownBy(
            () ->
                new PostgresBinariesResolver(runner, "", base.resolve("nowhere"))
                    .resolve(null, Map.of()))
        .isInstanceOf(PostgresSetupException.class)
        .hasMessageContaining("apt-get install postgresql")
        .hasMessageContaining("postgresql.bin_dir");
  }

  @Test
  void binNameOverridesAProgramName() throws Exception {
    Path bin = Files.createDirectories(base.resolve("renamed"));
    for (String p : PostgresBinariesResolver.PROGRAMS) {
      String name = p.equals("pg_ctl") ? "pg_ctl15" : p;
      Files.createSymbolicLink(bin.resolve(name), real.programs().get(p));
    }
    PostgresBinaries b =
        new PostgresBinariesResolver(runner, "", base.resolve("none"))
            .resolve(bin, Map.of("pg_ctl", "pg_ctl15"));
    assertThat(b.pgCtl()).isEqualTo(bin.resolve("pg_ctl15"));
  }
}
