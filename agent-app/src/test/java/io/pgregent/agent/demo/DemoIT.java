package io.pgregent.agent.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bin/regent demo} as a user runs it: a leader and two streaming replicas in the printed
 * table, the printed connection strings reach a writable primary, and Ctrl-C (SIGINT) leaves no
 * process and no temporary directory behind.
 */
@Timeout(600)
class DemoIT {

  private static final Pattern LEADER_URL = Pattern.compile("Leader (\\S+): psql \"([^\"]+)\"");
  private static final Pattern MULTI_HOST_URL =
      Pattern.compile("psql \"(postgresql://[^\"]+target_session_attrs=read-write)\"");
  private static final Pattern PIDS = Pattern.compile("agent PID (\\d+)  postgres PID (\\d+)");
  private static final Pattern BASE = Pattern.compile("Configuration, data and logs: (\\S+)");

  private static Path launcher;

  @BeforeAll
  static void findLauncher() {
    launcher = Path.of("").toAbsolutePath().resolveSibling("bin").resolve("regent");
    assertThat(Files.isExecutable(launcher)).as(launcher.toString()).isTrue();
    // As root, PostgreSQL runs as the postgres user: make sure it exists.
    PostgresTestEnvironment.osUser();
  }

  @Test
  void demoRunsAClusterAndCtrlCRemovesEverything() throws Exception {
    // As a terminal starts it, SIGINT at its default: a test run started as a background job
    // inherits SIGINT ignored, and a JVM does not take over an ignored signal.
    ProcessBuilder pb =
        new ProcessBuilder("env", "--default-signal=INT", launcher.toString(), "demo")
            .redirectErrorStream(true);
    pb.environment().remove("REGENT_JAR");
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    Process demo = pb.start();
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> copy(demo.getInputStream(), output), "demo-output");
    reader.setDaemon(true);
    reader.start();
    Set<Long> started = new TreeSet<>();
    Path base = null;
    try {
      await("a leader and two streaming replicas in the printed table")
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> !demo.isAlive() || healthyTable(output.toString()));
      String text = output.toString();
      assertThat(demo.isAlive()).as(text).isTrue();
      await("the introduction")
          .atMost(Duration.ofSeconds(30))
          .until(() -> output.toString().contains("Ctrl-C stops everything"));
      text = output.toString();

      Matcher dir = BASE.matcher(text);
      assertThat(dir.find()).as(text).isTrue();
      base = Path.of(dir.group(1));
      assertThat(base).isDirectory();

      Matcher pids = PIDS.matcher(text);
      while (pids.find()) {
        started.add(Long.parseLong(pids.group(1)));
        started.add(Long.parseLong(pids.group(2)));
      }
      assertThat(started).as(text).hasSize(6);
      ProcessHandle.of(demo.pid())
          .ifPresent(h -> h.descendants().forEach(d -> started.add(d.pid())));

      Matcher leader = LEADER_URL.matcher(text);
      assertThat(leader.find()).as(text).isTrue();
      String written =
          psql(
              leader.group(2),
              "CREATE TABLE demo_check(x int); INSERT INTO demo_check VALUES (42);"
                  + " SELECT x FROM demo_check;");
      assertThat(written).contains("42");

      Matcher multiHost = MULTI_HOST_URL.matcher(text);
      assertThat(multiHost.find()).as(text).isTrue();
      assertThat(psql(multiHost.group(1), "SELECT pg_is_in_recovery();")).contains("f");

      Runtime.getRuntime().exec(new String[] {"kill", "-INT", Long.toString(demo.pid())}).waitFor();
      assertThat(demo.waitFor(3, TimeUnit.MINUTES)).as(output.toString()).isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(10));
      assertThat(output.toString()).contains("Stopped; removed " + base);
      for (long pid : started) {
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
            .as("process " + pid + " of the demo")
            .isEmpty();
      }
      assertThat(base).doesNotExist();
    } finally {
      if (demo.isAlive()) {
        // Only what this test started: the demo and its descendants.
        demo.descendants().forEach(ProcessHandle::destroyForcibly);
        demo.destroyForcibly();
      }
      for (long pid : started) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      if (base != null) {
        PostgresTestEnvironment.deleteTree(base);
      }
    }
  }

  /** The first table printed: one running leader and two streaming replicas. */
  static boolean healthyTable(String output) {
    int top = output.indexOf("+ Cluster: demo (");
    if (top < 0) {
      return false;
    }
    List<String> rows = new ArrayList<>();
    for (String line : output.substring(top).split("\n")) {
      if (line.startsWith("| ") && !line.startsWith("| Member ")) {
        rows.add(line);
      } else if (!line.startsWith("+") && !line.startsWith("|")) {
        break;
      }
    }
    long leaders =
        rows.stream()
            .filter(r -> r.matches("\\| pg\\d +\\| \\S+ +\\| Leader +\\| running .*"))
            .count();
    long streaming =
        rows.stream()
            .filter(r -> r.matches("\\| pg\\d +\\| \\S+ +\\| Replica +\\| streaming .*"))
            .count();
    return rows.size() == 3 && leaders == 1 && streaming == 2;
  }

  private static String psql(String url, String sql) throws Exception {
    Process p =
        new ProcessBuilder(psqlProgram(), "-X", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  private static String psqlProgram() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var found =
            versions
                .map(v -> v.resolve("bin/psql"))
                .filter(Files::isExecutable)
                .sorted()
                .reduce((a, b) -> b);
        if (found.isPresent()) {
          return found.get().toString();
        }
      }
    }
    return "psql";
  }

  private static void copy(InputStream in, StringBuffer into) {
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        into.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // The process ended.
    }
  }
}
