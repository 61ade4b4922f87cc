package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.LogSettings.JsonField;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Patroni's {@code log:} section read from the YAML (Logback runs it in agent-app's tests). */
class LogSettingsTests {

  @TempDir Path dir;

  private LoadedConfig load(String log) throws Exception {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL + log);
    return new AgentConfigLoader(Map.of()).read(file);
  }

  private LogSettings settings(String log) throws Exception {
    LoadedConfig loaded = load(log);
    assertThat(loaded.errors()).isEmpty();
    return loaded.config().log();
  }

  private List<String> errors(String log) throws Exception {
    return load(log).errors().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void withoutALogSectionPatronisDefaults() throws Exception {
    LogSettings s = settings("");
    assertThat(s).isEqualTo(LogSettings.DEFAULT);
    assertThat(s.json()).isFalse();
    assertThat(s.level()).isEqualTo("INFO");
    assertThat(s.tracebackAtDebugOnly()).isFalse();
    // Logback reads a comma in %d{...} as the start of a time zone: the date is quoted.
    assertThat(s.pattern())
        .isEqualTo("%d{\"yyyy-MM-dd HH:mm:ss,SSS\"} %pyLevelName: %pyMessage%n%pyTraceback");
    assertThat(s.dir()).isNull();
    assertThat(s.fileNum()).isEqualTo(4);
    assertThat(s.fileSize()).isEqualTo(25_000_000L);
    assertThat(s.mode()).isNull();
    assertThat(s.loggers()).isEmpty();
    assertThat(settings("log:\n  format: '%(asctime)s %(levelname)s: %(message)s'\n"))
        .isEqualTo(LogSettings.DEFAULT);
  }

  @Test
  void levelsInPatronisNames() throws Exception {
    LogSettings s =
        settings(
            """
            log:
              level: WARNING
              traceback_level: DEBUG
              loggers:
                io.pgregent.agent.loop: DEBUG
                org.apache.zookeeper: CRITICAL
                urllib3: NOTSET
            """);
    assertThat(s.level()).isEqualTo("WARN");
    assertThat(s.tracebackAtDebugOnly()).isTrue();
    assertThat(s.loggers())
        .containsEntry("io.pgregent.agent.loop", "DEBUG")
        .containsEntry("org.apache.zookeeper", "ERROR")
        .containsEntry("urllib3", null);
    assertThat(settings("log:\n  level: FATAL\n").level()).isEqualTo("ERROR");
  }

  @Test
  void plainFormatFieldsWidthsAndDateFormat() throws Exception {
    LogSettings s =
        settings(
            """
            log:
              format: '%(asctime)s %(levelname)-8s [%(name)s] %(process)d: %(message)s 100%%'
              dateformat: '%Y-%m-%dT%H:%M:%S'
            """);
    assertThat(s.pattern())
        .isEqualTo(
            "%d{\"yyyy-MM-dd'T'HH:mm:ss\"} %-8pyLevelName [%logger] %pyProcess: %pyMessage"
                + " 100\\%%n%pyTraceback");
    assertThat(LogSettings.pattern("%(levelname).1s{%(lineno)5d}(x)\\", null))
        .isEqualTo("%.-1(%pyLevelName){}{%5line}\\(x\\)\\\\%n%pyTraceback");
    assertThat(LogSettings.javaDateFormat("%d/%b/%Y %H:%M:%S.%f %z [%j]"))
        .isEqualTo("dd/MMM/yyyy HH:mm:ss.SSS Z' ['DDD']'");
  }

  @Test
  void unknownFieldsAreKeptAsTextWithAWarning() throws Exception {
    LoadedConfig loaded = load("log:\n  format: '%(relativeCreated)d (%(taskName)s)'\n");
    assertThat(loaded.errors()).isEmpty();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::toString)
        .containsExactly(
            "log.format: %(taskName) is not a field Regent fills; it is printed as written");
    assertThat(loaded.config().log().pattern())
        .isEqualTo("%relative \\(\\%\\(taskName\\)s\\)%n%pyTraceback");
  }

  @Test
  void aListFormatWithPlainTypeFallsBackToTheDefaultWithAWarning() throws Exception {
    LoadedConfig loaded = load("log:\n  format: [message, levelname]\n");
    assertThat(loaded.errors()).isEmpty();
    assertThat(loaded.warnings()).extracting(ConfigProblem::key).containsExactly("log.format");
    assertThat(loaded.config().log().pattern()).isEqualTo(LogSettings.DEFAULT.pattern());
  }

  @Test
  void jsonFieldsAsPatroniDocumentsThem() throws Exception {
    LogSettings s =
        settings(
            """
            log:
              type: json
              format:
                - message
                - module
                - asctime: '@timestamp'
                - levelname: level
              dateformat: '%Y-%m-%dT%H:%M:%S%z'
              static_fields:
                app: patroni
            """);
    assertThat(s.json()).isTrue();
    assertThat(s.jsonFields())
        .containsExactly(
            new JsonField("message", "message"),
            new JsonField("module", "module"),
            new JsonField("asctime", "@timestamp"),
            new JsonField("levelname", "level"));
    assertThat(s.staticFields()).containsExactly(Map.entry("app", "patroni"));
    assertThat(s.dateFormat()).isEqualTo("yyyy-MM-dd'T'HH:mm:ssZ");

    LoadedConfig unknown = load("log:\n  type: json\n  format: '%(message)s %(taskName)s'\n");
    assertThat(unknown.problems()).isEmpty();
    assertThat(unknown.config().log().jsonFields())
        .extracting(JsonField::field)
        .containsExactly("message", "taskName");
    assertThat(settings("log:\n  type: json\n").jsonFields())
        .extracting(JsonField::field)
        .containsExactly("asctime", "levelname", "message");
    assertThat(settings("log:\n  type: json\n  format: {asctime: ts, message: msg}\n").jsonFields())
        .containsExactly(new JsonField("asctime", "ts"), new JsonField("message", "msg"));
  }

  @Test
  void fileSettings() throws Exception {
    LogSettings s =
        settings("log:\n  dir: /var/log/regent\n  file_num: 10\n  file_size: 1000\n  mode: 0640\n");
    assertThat(s.dir()).isEqualTo(Path.of("/var/log/regent"));
    assertThat(s.fileNum()).isEqualTo(10);
    assertThat(s.fileSize()).isEqualTo(1000);
    assertThat(s.mode()).isEqualTo(0640);
    assertThat(s.rotates()).isTrue();
    assertThat(settings("log:\n  dir: /l\n  mode: '0600'\n").mode()).isEqualTo(0600);
    assertThat(settings("log:\n  dir: /l\n  file_num: 0\n").rotates()).isFalse();
  }

  @Test
  void invalidValuesAreOneErrorNamingTheKey() throws Exception {
    assertThat(errors("log:\n  format: 42\n"))
        .containsExactly("log.format: expected a string or a list of fields, not '42'");
    assertThat(errors("log:\n  type: json\n  format: []\n"))
        .containsExactly("log.format: should contain at least one field");
    assertThat(errors("log:\n  type: json\n  format: [message, [x], {asctime: 1}]\n"))
        .containsExactly(
            "log.format[1]: expected a field name or field: key (both strings)",
            "log.format[2]: expected a field name or field: key (both strings)");
    assertThat(errors("log:\n  mode: 1000\n"))
        .containsExactly(
            "log.mode: expected file permissions such as 0644 (0 to 0777), not '1000'");
    assertThat(errors("log:\n  loggers:\n    org.apache.zookeeper: LOUD\n"))
        .containsExactly(
            "log.loggers.org.apache.zookeeper: expected a level (DEBUG, INFO, WARNING, ERROR,"
                + " CRITICAL), not 'LOUD'");
    assertThat(errors("log:\n  file_size: -1\n  file_num: x\n"))
        .containsExactlyInAnyOrder(
            "log.file_size: must be at least 0, not -1",
            "log.file_num: expected a whole number, not 'x'");
    assertThat(errors("log:\n  static_fields: [a]\n"))
        .containsExactly("log.static_fields: expected a map of key: value, not a list");
    assertThat(errors("log:\n  traceback_level: INFO\n")).hasSize(1);
  }

  @Test
  void keysRegentDoesNotActOnWarnNamingTheKey() throws Exception {
    LoadedConfig loaded = load("log:\n  max_queue_size: 100\n  deduplicate_heartbeat_logs: true\n");
    assertThat(loaded.hasErrors()).isFalse();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("log.max_queue_size", "log.deduplicate_heartbeat_logs");
  }
}
