package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.pgregent.agent.RegentMain;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data sharing archive {@code bin/regent} starts the JVM with: made at {@code package}
 * and used, made for an installed copy, and never in the way: a damaged, mismatched or impossible
 * archive leaves the agent starting with a clean standard output.
 */
@Timeout(300)
class ClassDataSharingIT {

  private static final String VERSION_LINE = "implements Patroni " + RegentMain.PATRONI_VERSION;

  private static Path launcher;
  private static Path jar;

  @TempDir Path dir;

  @BeforeAll
  static void findLauncherAndJar() throws IOException {
    assumeFalse(
        System.getProperty("os.name").startsWith("Windows"), "bin/regent is a Unix launcher");
    Path module = Path.of("").toAbsolutePath();
    launcher = module.resolveSibling("bin").resolve("regent");
    assertThat(Files.isExecutable(launcher)).as("bin/regent from " + module).isTrue();
    try (Stream<Path> jars = Files.list(module.resolve("target"))) {
      jar =
          jars.filter(p -> p.getFileName().toString().matches("agent-app-.*\\.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no agent-app jar built"));
    }
  }

  private record Result(int code, String out, String err) {}

  private Result run(Path regent, Map<String, String> env, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(regent.toString());
    pb.command().addAll(List.of(args));
    pb.environment().remove("REGENT_JAR");
    pb.environment().remove("REGENT_JAVA_OPTS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(
        p.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(err));
  }

  /** Runs {@code --version}, logging class loading; true when classes came from the archive. */
  private boolean versionUsesArchive(Path regent) throws Exception {
    Path log = dir.resolve("classes-" + System.nanoTime() + ".log");
    Result r =
        run(regent, Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log), "--version");
    assertThat(r.code()).as(r.err()).isZero();
    // Standard output holds the answer only, whatever the archive's state.
    assertThat(r.out()).startsWith("regent ").contains(VERSION_LINE).hasLineCount(1);
    return Files.readString(log).contains("source: shared objects file (top)");
  }

  private static Optional<Path> archiveDir(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> Files.isRegularFile(p.resolve("ready"))).findFirst();
    }
  }

  /** bin/regent and lib/regent.jar, as installed (the Docker image's layout). */
  private Path install() throws IOException {
    Path home = dir.resolve("regent");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("lib"));
    Path regent = Files.copy(launcher, home.resolve("bin/regent"));
    Files.copy(jar, home.resolve("lib/regent.jar"));
    return regent;
  }

  @Test
  void thePackagedJarHasAnArchiveTheLauncherUses() throws Exception {
    String name = jar.getFileName().toString().replaceFirst("\\.jar$", "-cds");
    assertThat(archiveDir(jar.resolveSibling(name))).as("archive beside " + jar).isPresent();
    assertThat(versionUsesArchive(launcher)).isTrue();
  }

  @Test
  void anInstalledCopyMakesItsArchiveInTheBackgroundAndStartsAtOnce() throws Exception {
    Path regent = install();
    Path root = regent.getParent().resolveSibling("lib/regent-cds");
    assertThat(versionUsesArchive(regent)).isFalse();
    // The commands other than the agent do not make it.
    assertThat(root).doesNotExist();

    // Starting the agent (here with a configuration it refuses) does not wait for the archive.
    Path bad =
        ConfigFixtures.write(
            dir, "bad.yml", ConfigFixtures.MINIMAL.replace("listen: 127.0.0.1:8008", "listen: x"));
    Result start = run(regent, Map.of(), bad.toString());
    assertThat(start.code()).isEqualTo(1);
    assertThat(start.out() + start.err()).contains("restapi.listen: 'x' has no port");
    assertThat(start.err()).contains("making it in the background");
    await()
        .atMost(Duration.ofSeconds(180))
        .until(() -> archiveDir(root).isPresent() && !Files.exists(root.resolve("lock")));
    assertThat(versionUsesArchive(regent)).isTrue();
  }

  @Test
  void aDamagedOrMismatchedArchiveIsNotInTheWay() throws Exception {
    Path regent = install();
    Result made = run(regent, Map.of(), "--prepare-cds");
    assertThat(made.code()).as(made.err()).isZero();
    Path archive = archiveDir(regent.getParent().resolveSibling("lib/regent-cds")).orElseThrow();
    assertThat(versionUsesArchive(regent)).isTrue();

    // A class path entry that changed since the archive was made: the JVM ignores the archive.
    Path lib;
    try (Stream<Path> s = Files.list(archive.resolve("lib"))) {
      lib = s.findFirst().orElseThrow();
    }
    FileTime was = Files.getLastModifiedTime(lib);
    Files.setLastModifiedTime(lib, FileTime.fromMillis(was.toMillis() - 60_000));
    assertThat(versionUsesArchive(regent)).isFalse();
    Files.setLastModifiedTime(lib, was);
    assertThat(versionUsesArchive(regent)).isTrue();

    // A truncated archive (it would crash the JVM): the launcher does not use it.
    Path jsa = archive.resolve("regent.jsa");
    jsa.toFile().setWritable(true);
    try (RandomAccessFile f = new RandomAccessFile(jsa.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertThat(versionUsesArchive(regent)).isFalse();
  }

  @Test
  void flagsThatRuleOutAnArchiveOnlyMeanStartingWithoutOne() throws Exception {
    Path regent = install();
    Map<String, String> noSharing = Map.of("REGENT_JAVA_OPTS", "-Xshare:off");
    Result made = run(regent, noSharing, "--prepare-cds");
    assertThat(made.code()).isEqualTo(1);
    assertThat(made.err()).contains("could not make the class-data sharing archive");
    Result version = run(regent, noSharing, "--version");
    assertThat(version.code()).as(version.err()).isZero();
    assertThat(version.out()).contains(VERSION_LINE);
  }
}
