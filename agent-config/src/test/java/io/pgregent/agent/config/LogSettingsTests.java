package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Patroni's {@code log:} section read from the YAML as Spring Boot logging properties. */
class LogSettingsTests {

  @TempDir Path dir;

  private LoadedConfig load(String log) throws Exception {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL + log);
    return new AgentConfigLoader(Map.of()).read(file);
  }

  @Test
  void levelAndPerLoggerLevelsInPatronisNames() throws Exception {
    LoadedConfig loaded =
        load(
            """
            log:
              level: WARNING
              loggers:
                io.pgregent.agent.loop: DEBUG
                org.apache.zookeeper: CRITICAL
            """);
    assertThat(loaded.problems()).isEmpty();
    assertThat(loaded.config().properties())
        .containsEntry("logging.level.root", "WARN")
        .containsEntry("logging.level.io.pgregent.agent.loop", "DEBUG")
        .containsEntry("logging.level.org.apache.zookeeper", "ERROR")
        .doesNotContainKey("logging.structured.format.console");
  }

  @Test
  void typeJsonSwitchesTheConsoleToStructuredLogs() throws Exception {
    LoadedConfig loaded = load("log:\n  type: json\n  format: [asctime, levelname, message]\n");
    assertThat(loaded.problems()).isEmpty();
    assertThat(loaded.config().properties())
        .containsEntry("logging.structured.format.console", "ecs")
        .doesNotContainKey("logging.pattern.console");
  }

  @Test
  void aPlainFormatAndDateFormatBecomeTheConsolePattern() throws Exception {
    LoadedConfig loaded =
        load(
            """
            log:
              format: '%(asctime)s %(levelname)-8s [%(name)s] %(process)d: %(message)s 100%%'
              dateformat: '%Y-%m-%dT%H:%M:%S'
            """);
    assertThat(loaded.problems()).isEmpty();
    assertThat(loaded.config().properties())
        .containsEntry(
            "logging.pattern.console",
            "%d{yyyy-MM-dd'T'HH:mm:ss} %-8level [%logger] ${PID:-}: %msg 100\\%%n");
  }

  @Test
  void patronisDefaultFormatAndUnknownFields() {
    assertThat(LogSettings.pattern(LogSettings.PATRONI_FORMAT, null))
        .isEqualTo("%d{yyyy-MM-dd HH:mm:ss,SSS} %level: %msg%n");
    assertThat(LogSettings.pattern("%(relativeCreated)d (%(message)s)", null))
        .isEqualTo("\\%\\(relativeCreated\\)d \\(%msg\\)%n");
    assertThat(LogSettings.javaDateFormat("%d/%b/%Y %H:%M:%S.%f %z"))
        .isEqualTo("dd/MMM/yyyy HH:mm:ss.SSS Z");
  }

  @Test
  void unusedLogKeysWarnNamingTheKey() throws Exception {
    LoadedConfig loaded = load("log:\n  dir: /var/log/regent\n  file_num: 4\n");
    assertThat(loaded.hasErrors()).isFalse();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("log.dir", "log.file_num");
  }
}
