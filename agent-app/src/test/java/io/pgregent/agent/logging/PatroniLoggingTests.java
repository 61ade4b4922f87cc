package io.pgregent.agent.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigFixtures;
import io.pgregent.agent.config.LogSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Patroni's {@code log:} section applied to a real Logback context (its own, not the test run's):
 * the lines as Patroni prints them, JSON, tracebacks and the rotating {@code patroni.log}.
 */
class PatroniLoggingTests {

  /** Patroni's line: {@code 2024-05-01 12:00:00,123 INFO: message}. */
  static final String PREFIX = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} ";

  @TempDir Path dir;

  private final LoggerContext ctx = new LoggerContext();
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  PatroniLoggingTests() {
    ctx.setMDCAdapter(new LogbackMDCAdapter());
    ctx.start();
  }

  @AfterEach
  void stop() {
    ctx.stop();
  }

  private LogSettings settings(String log) throws IOException {
    Path file = ConfigFixtures.write(dir, "patroni.yml", ConfigFixtures.MINIMAL + log);
    return new AgentConfigLoader(Map.of()).load(file).config().log();
  }

  private Logger configure(String log) throws IOException {
    PatroniLogging.configure(ctx, settings(log), console);
    return ctx.getLogger("io.pgregent.agent.loop.HaLoop");
  }

  private List<String> lines() {
    return console.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void patronisDocumentedDefaultFormatStartsAndPrintsPatronisLine() throws IOException {
    Logger log = configure("log:\n  format: '%(asctime)s %(levelname)s: %(message)s'\n");
    log.info("no action. I am (pg1), the leader with the lock");
    log.warn("Request failed");

    assertThat(lines()).hasSize(2);
    assertThat(lines().get(0))
        .matches(PREFIX + "INFO: no action\\. I am \\(pg1\\), the leader with the lock");
    assertThat(lines().get(1)).matches(PREFIX + "WARNING: Request failed");
    // The message starts at column 25, where Patroni's acceptance suite reads it.
    assertThat(lines().get(0).substring(24)).startsWith("INFO: no action");
  }

  @Test
  void theFormatOfPatronisAcceptanceSuite() throws IOException {
    Logger log =
        configure(
            "log:\n  format: '%(asctime)s %(levelname)s [%(pathname)s:%(lineno)d -"
                + " %(funcName)s]: %(message)s'\n");
    log.warn("Lock owner: pg2");

    // The suite reads the level at column 25: line[24:24 + len(level)] == level.
    String line = lines().get(0);
    assertThat(line.substring(24, 24 + "WARNING".length())).isEqualTo("WARNING");
    assertThat(line)
        .matches(
            PREFIX
                + "WARNING \\[io\\.pgregent\\.agent\\.logging\\.PatroniLoggingTests:\\d+ -"
                + " theFormatOfPatronisAcceptanceSuite\\]: Lock owner: pg2");
  }

  @Test
  void anErrorThatStopsTheAgentIsCritical() throws IOException {
    Logger log = configure("");
    log.error(Critical.MARKER, "Can't start; there is already a node named 'pg0' running");
    log.error("an ordinary error");

    // The suite greps the level at column 25: CRITICAL, as Patroni's logger.fatal prints it.
    assertThat(lines().get(0))
        .matches(PREFIX + "CRITICAL: Can't start; there is already a node named 'pg0' running");
    assertThat(lines().get(1)).matches(PREFIX + "ERROR: an ordinary error");
  }

  /** A failed store call is logged once by the store, not again by each jetcd retry. */
  @Test
  void jetcdsOwnRetryWarningsStayOut() throws IOException {
    configure("");
    Logger kv = ctx.getLogger("io.etcd.jetcd.impl.KVImpl");
    kv.warn("maximum number of auto retries reached (attempt: 1, error: UNAVAILABLE)");
    kv.error("not retried");

    assertThat(lines()).singleElement().asString().matches(PREFIX + "ERROR: not retried");
  }

  @Test
  void withoutALogSectionLinesArePatronis() throws IOException {
    Logger log = configure("");
    log.error("could not connect");
    log.debug("not at INFO");

    assertThat(lines()).singleElement().asString().matches(PREFIX + "ERROR: could not connect");
  }

  @Test
  void formatFieldsWidthsDateFormatAndLevels() throws IOException {
    Logger log =
        configure(
            """
            log:
              level: DEBUG
              format: '%(asctime)s %(levelname)-8s [%(name)s] %(process)d {%(levelno)s} %(message)s 100%%'
              dateformat: '%d/%m/%Y, %H:%M:%S'
              loggers:
                io.pgregent.agent.loop: WARNING
            """);
    log.info("hidden: the loop's logger is at WARNING");
    log.warn("shown");
    ctx.getLogger("other").debug("debug elsewhere");

    assertThat(lines()).hasSize(2);
    long pid = ProcessHandle.current().pid();
    assertThat(lines().get(0))
        .matches(
            "\\d\\d/\\d\\d/\\d{4}, \\d\\d:\\d\\d:\\d\\d WARNING  \\[io.pgregent.agent.loop.HaLoop\\] "
                + pid
                + " \\{30\\} shown 100%");
    assertThat(lines().get(1)).endsWith("DEBUG    [other] " + pid + " {10} debug elsewhere 100%");
  }

  @Test
  void tracebacksFollowTheLineUnlessTracebackLevelIsDebug() throws IOException {
    Logger log = configure("");
    log.error("Exception during execution of long running task", new IllegalStateException("boom"));
    assertThat(lines().get(0))
        .matches(PREFIX + "ERROR: Exception during execution of long running task");
    assertThat(lines().get(1)).isEqualTo("java.lang.IllegalStateException: boom");
    assertThat(lines().get(2)).startsWith("\tat ");

    console.reset();
    log = configure("log:\n  traceback_level: DEBUG\n");
    log.error("Exception during execution of long running task", new IllegalStateException("boom"));
    assertThat(lines())
        .singleElement()
        .asString()
        .matches(PREFIX + "ERROR: Exception during execution of long running task, DETAIL: 'boom'");

    console.reset();
    log = configure("log:\n  traceback_level: DEBUG\n  level: DEBUG\n");
    log.error("failed", new IllegalStateException("boom"));
    assertThat(lines()).hasSizeGreaterThan(2);
    assertThat(lines().get(1)).isEqualTo("java.lang.IllegalStateException: boom");
  }

  @Test
  void jsonLinesWithRenamedAndStaticFields() throws IOException {
    Logger log =
        configure(
            """
            log:
              type: json
              format:
                - message
                - module
                - asctime: '@timestamp'
                - levelname: level
              static_fields:
                app: patroni
                nested: {a: 1, b: [true, null]}
            """);
    log.warn("Lock owner: pg2; I am pg1 – é");

    assertThat(lines())
        .singleElement()
        .asString()
        .matches(
            "\\{\"message\": \"Lock owner: pg2; I am pg1 \\\\u2013 \\\\u00e9\", \"module\":"
                + " \"PatroniLoggingTests\", \"@timestamp\": \""
                + PREFIX.strip()
                + "\", \"level\": \"WARNING\", \"app\": \"patroni\", \"nested\": \\{\"a\": 1,"
                + " \"b\": \\[true, null\\]\\}\\}");
  }

  @Test
  void jsonWithAFormatStringAndAnError() throws IOException {
    Logger log =
        configure(
            "log:\n  type: json\n  format: '%(asctime)s %(levelname)s %(message)s %(nosuch)s'\n");
    log.error("failed", new IllegalStateException("boom"));

    String line = lines().get(0);
    assertThat(lines()).hasSize(1);
    assertThat(line)
        .startsWith("{\"asctime\": \"")
        .contains("\"levelname\": \"ERROR\", \"message\": \"failed\", \"nosuch\": null")
        .contains("\"exc_info\": \"java.lang.IllegalStateException: boom\\n\\tat ");
  }

  @Test
  void logDirWritesARotatingPatroniLogOfAtMostFileSizeKeepingFileNumFiles() throws IOException {
    Path logs = Files.createDirectory(dir.resolve("logs"));
    Logger log =
        configure("log:\n  dir: " + logs + "\n  file_num: 3\n  file_size: 200\n  mode: 0600\n");
    for (int i = 0; i < 40; i++) {
      log.info("line {} of the heartbeat", i);
    }

    assertThat(console.size()).isZero();
    try (Stream<Path> files = Files.list(logs)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "patroni.log", "patroni.log.1", "patroni.log.2", "patroni.log.3");
    }
    for (String name : List.of("patroni.log", "patroni.log.1", "patroni.log.2", "patroni.log.3")) {
      Path f = logs.resolve(name);
      assertThat(Files.size(f)).as(name).isLessThan(200).isPositive();
      assertThat(Files.readAllLines(f))
          .allMatch(l -> l.matches(PREFIX + "INFO: line \\d+ of the heartbeat"));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
          .isEqualTo("rw-------");
    }
    // The newest lines are in patroni.log, the oldest kept in patroni.log.3.
    assertThat(Files.readAllLines(logs.resolve("patroni.log")).get(0)).contains("INFO: line 3");
    assertThat(Files.readString(logs.resolve("patroni.log")))
        .endsWith("line 39 of the heartbeat\n");
  }

  @Test
  void fileNumZeroNeverRotates() throws IOException {
    Logger log = configure("log:\n  dir: " + dir + "\n  file_num: 0\n  file_size: 100\n");
    for (int i = 0; i < 10; i++) {
      log.info("line {}", i);
    }
    assertThat(Files.readAllLines(dir.resolve("patroni.log"))).hasSize(10);
    assertThat(dir.resolve("patroni.log.1")).doesNotExist();
  }

  @Test
  void anUnwritableLogDirIsOneLineNamingTheKey() throws IOException {
    Path notADir = Files.writeString(dir.resolve("file"), "x");
    LogSettings s = settings("log:\n  dir: " + notADir + "\n");
    assertThatThrownBy(() -> PatroniLogging.configure(ctx, s, console))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("log.dir: ")
        .hasMessageContaining(notADir.resolve("patroni.log").toString())
        .hasMessageNotContaining("\n");
  }
}
