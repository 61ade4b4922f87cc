package io.pgregent.agent.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent started by {@code bin/regent} logs as Patroni does: every line, Spring's and Tomcat's
 * start-up lines included, begins {@code 2024-05-01 12:00:00,123 INFO: } on standard error, or in a
 * rotating {@code patroni.log} with {@code log.dir}. The store is unreachable: only the start-up
 * matters here.
 */
@Timeout(300)
class PatroniLogLauncherIT {

  private static final String LINE =
      PatroniLoggingTests.PREFIX + "(DEBUG|INFO|WARNING|ERROR|CRITICAL): .*";

  private static Path launcher;

  @TempDir Path dir;

  private Process agent;

  @BeforeAll
  static void findLauncher() {
    launcher = Path.of("").toAbsolutePath().resolveSibling("bin").resolve("regent");
    assertThat(Files.isExecutable(launcher)).as("bin/regent").isTrue();
  }

  @AfterEach
  void stopAgent() throws InterruptedException {
    if (agent != null) {
      agent.destroyForcibly();
      assertThat(agent.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  private Path start(String log) throws IOException {
    Path config = dir.resolve("patroni.yml");
    Files.writeString(
        config,
        """
        scope: batman
        name: pg1
        restapi:
          listen: 127.0.0.1:%d
          connect_address: 127.0.0.1:8008
        etcd3:
          hosts: 127.0.0.1:%d
        postgresql:
          listen: 127.0.0.1:5432
          connect_address: 127.0.0.1:5432
          data_dir: %s
          authentication:
            superuser:
              username: postgres
            replication:
              username: replicator
        """
                .formatted(FreePorts.next(), FreePorts.next(), dir.resolve("data"))
            + log);
    Path output = dir.resolve("output.txt");
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), config.toString());
    pb.environment().remove("REGENT_JAR");
    pb.environment().remove("REGENT_JAVA_OPTS");
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    pb.environment().put("REGENT_CDS", "off");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.redirectErrorStream(true).redirectOutput(output.toFile());
    agent = pb.start();
    return output;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void withoutALogSectionEveryLineHasPatronisPrefix() throws IOException {
    Path output = start("");
    await()
        .atMost(Duration.ofSeconds(180))
        .until(() -> read(output).contains("Tomcat started on port") || !agent.isAlive());

    List<String> lines = read(output).lines().toList();
    assertThat(lines).as(read(output)).anyMatch(l -> l.contains("INFO: Tomcat started on port"));
    assertThat(lines).as(read(output)).allMatch(l -> l.matches(LINE));
  }

  @Test
  void logDirRotatesPatroniLogKeepingFileNumFiles() throws IOException {
    Path logs = Files.createDirectory(dir.resolve("logs"));
    Path output = start("log:\n  dir: " + logs + "\n  file_num: 2\n  file_size: 400\n");
    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () ->
                !agent.isAlive()
                    || Files.exists(logs.resolve("patroni.log.2"))
                        && read(logs.resolve("patroni.log")).contains("Started RegentMain"));
    assertThat(agent.isAlive()).as(read(output)).isTrue();

    assertThat(read(output)).isEmpty();
    try (Stream<Path> files = Files.list(logs)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("patroni.log", "patroni.log.1", "patroni.log.2");
    }
    for (String name : List.of("patroni.log", "patroni.log.1", "patroni.log.2")) {
      List<String> lines = Files.readAllLines(logs.resolve(name));
      assertThat(lines).as(name).isNotEmpty().allMatch(l -> l.matches(LINE));
      // Below file_size, unless one line alone is longer.
      if (lines.size() > 1) {
        assertThat(Files.size(logs.resolve(name))).as(name).isLessThan(400);
      }
    }
  }
}
