package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.WatchdogSettings.Driver;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Patroni's {@code watchdog:} section and Regent's {@code regent.fence:}, as the loader binds them.
 */
class LeaseSettingsTests {

  @TempDir Path dir;

  private LoadedConfig read(String extra) {
    return new AgentConfigLoader(Map.of())
        .read(ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL + extra));
  }

  private LeaseSettings lease(String extra) {
    LoadedConfig loaded = read(extra);
    assertThat(loaded.problems()).isEmpty();
    return loaded.config().lease();
  }

  @Test
  void withoutTheSectionsTheWatchdogIsAutomaticAndTheFenceSitsBesideTheDataDirectory() {
    LeaseSettings lease = lease("");

    assertThat(lease.watchdog().mode()).isEqualTo(GuardMode.AUTOMATIC);
    assertThat(lease.watchdog().device()).isEqualTo("/dev/watchdog");
    assertThat(lease.watchdog().safetyMargin()).isEqualTo(5);
    assertThat(lease.watchdog().driver()).isEqualTo(Driver.LINUX);
    assertThat(lease.fence().mode()).isEqualTo(GuardMode.AUTOMATIC);
    assertThat(lease.fence().dir()).isEqualTo(Path.of("/data/pg1.fence"));
  }

  @Test
  void anEmptyWatchdogSectionKeepsPatronisDefaults() {
    assertThat(lease("watchdog:\n").watchdog()).isEqualTo(WatchdogSettings.DEFAULTS);
  }

  @Test
  void everyWatchdogKeyIsRead() {
    WatchdogSettings w =
        lease(
                """
                watchdog:
                  mode: required
                  device: /run/regent/watchdog.fifo
                  safety_margin: -1
                  driver: testing
                """)
            .watchdog();

    assertThat(w)
        .isEqualTo(
            new WatchdogSettings(
                GuardMode.REQUIRED, "/run/regent/watchdog.fifo", -1, Driver.TESTING));
    assertThat(w.timeoutSeconds(21)).as("ttl // 2").isEqualTo(10);
    assertThat(w.safetyMarginSeconds(21)).isEqualTo(11);
  }

  @Test
  void theTimeoutIsTtlMinusTheSafetyMargin() {
    WatchdogSettings w = lease("watchdog:\n  safety_margin: 3\n").watchdog();
    assertThat(w.timeoutSeconds(20)).isEqualTo(17);
    assertThat(WatchdogSettings.DEFAULTS.timeoutSeconds(20)).isEqualTo(15);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "off, OFF",
    "'false', OFF",
    "Off, OFF",
    "disabled, OFF",
    "auto, AUTOMATIC",
    "automatic, AUTOMATIC",
    "'\"AUTOMATIC\"', AUTOMATIC",
    "require, REQUIRED",
    "required, REQUIRED"
  })
  void watchdogModesInPatronisForms(String yaml, GuardMode expected) {
    // A bare `off` or `false` is YAML's boolean false, which Patroni reads as off.
    assertThat(lease("watchdog:\n  mode: " + yaml + "\n").watchdog().mode()).isEqualTo(expected);
  }

  @Test
  void everyFenceKeyIsRead() {
    FenceSettings f =
        lease("regent:\n  fence:\n    mode: required\n    dir: /run/regent/fence\n").fence();

    assertThat(f).isEqualTo(new FenceSettings(GuardMode.REQUIRED, Path.of("/run/regent/fence")));
    assertThat(lease("regent:\n  fence:\n    mode: off\n").fence())
        .isEqualTo(new FenceSettings(GuardMode.OFF, Path.of("/data/pg1.fence")));
  }

  @Test
  void theDefaultFenceDirectoryIsASiblingOfTheDataDirectory() {
    assertThat(FenceSettings.defaultDir(Path.of("/var/lib/postgresql/15/main/")))
        .isEqualTo(Path.of("/var/lib/postgresql/15/main.fence"));
    assertThat(FenceSettings.defaultDir(Path.of("data"))).isEqualTo(Path.of("data.fence"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "watchdog:\\n  mode: on|watchdog.mode|expected off, automatic or required, not 'true': write automatic or required",
        "watchdog:\\n  mode: true|watchdog.mode|expected off, automatic or required, not 'true': write automatic or required",
        "watchdog:\\n  mode: sometimes|watchdog.mode|expected off, automatic or required, not"
            + " 'sometimes'",
        "watchdog:\\n  mode: [required]|watchdog.mode|expected off, automatic or required, not a"
            + " list",
        "watchdog:\\n  safety_margin: -2|watchdog.safety_margin|must be at least -1, not -2",
        "watchdog:\\n  safety_margin: five|watchdog.safety_margin|expected a whole number",
        "watchdog:\\n  driver: windows|watchdog.driver|one of default, linux, testing",
        "watchdog:\\n  device: {a: 1}|watchdog.device|expected a string, not a map",
        "watchdog: required|watchdog|expected a map",
        "regent:\\n  fence:\\n    mode: always|regent.fence.mode|expected off, automatic or"
            + " required, not 'always'",
        "regent:\\n  fence:\\n    dir: [a]|regent.fence.dir|expected a string, not a list",
      })
  void badValuesFailNamingTheKey(String yaml, String key, String message) {
    LoadedConfig loaded = read(yaml.replace("\\n", "\n") + "\n");

    assertThat(loaded.config()).isNull();
    assertThat(loaded.errors())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo(key);
              assertThat(p.message()).contains(message);
            });
  }

  @Test
  void anEnabledWatchdogWhoseTimeoutCannotCoverLoopWaitIsAWarning() {
    LoadedConfig loaded =
        read(
            """
            bootstrap:
              dcs:
                ttl: 10
                loop_wait: 4
                retry_timeout: 3
            watchdog:
              mode: required
              safety_margin: 7
            """);

    assertThat(loaded.errors()).isEmpty();
    assertThat(loaded.warnings())
        .filteredOn(p -> p.key().startsWith("watchdog"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("watchdog.safety_margin");
              assertThat(p.message())
                  .contains(
                      "timeout (ttl 10 − safety_margin = 3 s) is shorter than loop_wait (4 s)")
                  .contains("never become the leader");
            });
    // The default (automatic, not written) does not warn: without a device it is simply unused.
    assertThat(
            read("bootstrap:\n  dcs:\n    ttl: 5\n    loop_wait: 1\n    retry_timeout: 2\n")
                .warnings())
        .extracting(ConfigProblem::key)
        .doesNotContain("watchdog.safety_margin");
  }

  @Test
  void aFenceDirectoryInsideTheDataDirectoryIsAWarning() {
    LoadedConfig loaded = read("regent:\n  fence:\n    dir: /data/pg1/fence\n");

    assertThat(loaded.errors()).isEmpty();
    assertThat(loaded.warnings())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("regent.fence.dir");
              assertThat(p.message())
                  .contains("inside postgresql.data_dir")
                  .contains("/data/pg1.fence");
            });
    assertThat(read("regent:\n  fence:\n    dir: /data/pg1-fence\n").warnings()).isEmpty();
  }

  @Test
  void aRealPatroniWatchdogSectionIsUsedWithoutWarnings() {
    LoadedConfig loaded =
        new AgentConfigLoader(Map.of())
            .read(
                ConfigFixtures.write(
                    dir, "patroni.yml", ConfigFixtures.resource("patroni-3.0.2.yml")));

    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .noneMatch(k -> k.startsWith("watchdog"));
    assertThat(loaded.config().lease().watchdog()).isEqualTo(WatchdogSettings.DEFAULTS);
  }

  @Test
  void handBuiltConfigurationsGetTheDefaults() {
    AgentConfig loaded = read("").config();
    AgentConfig rebuilt =
        new AgentConfig(
            loaded.scope(),
            loaded.namespace(),
            loaded.name(),
            loaded.restapi(),
            loaded.postgresql(),
            loaded.bootstrapDcs(),
            loaded.tags(),
            loaded.properties());

    assertThat(rebuilt.lease()).isEqualTo(LeaseSettings.defaults(Path.of("/data/pg1")));
    assertThat(loaded.withRestapi(loaded.restapi().withTls(true)).lease())
        .isEqualTo(loaded.lease());
  }
}
