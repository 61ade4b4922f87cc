package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.RegentMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegentMainTests {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<AgentConfig> started = new ArrayList<>();
  private final List<String[]> startedArgs = new ArrayList<>();

  private int run(Map<String, String> env, String... args) {
    RegentMain main =
        new RegentMain(
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            (c, a) -> {
              started.add(c);
              startedArgs.add(a);
            });
    return main.execute(args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anAgentRefusedForItsDuplicateNameExitsNonZeroAndKnowsItsFile() {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL);
    List<Path> sources = new ArrayList<>();
    RegentMain main =
        new RegentMain(
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            (c, source, a) -> {
              sources.add(source);
              throw new IllegalStateException(
                  "Failed to start bean 'uniqueNameCheck'",
                  new io.pgregent.agent.loop.UniqueNameCheck.DuplicateNameException(
                      "Can't start; there is already a node named 'pg0' running"));
            },
            s -> {});

    assertThat(main.execute(file.toString())).isEqualTo(1);
    // The file is what POST /reload and SIGHUP read again.
    assertThat(sources).containsExactly(file);
  }

  @Test
  void validateConfigOfAValidFileExitsZero() {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL);

    assertThat(run(Map.of(), "--validate-config", file.toString())).isZero();
    assertThat(out()).isEqualTo("Configuration is valid\n");
    assertThat(started).isEmpty();
  }

  @Test
  void validateConfigOfARealPatroniFilePrintsWarningsAndExitsZero() {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.resource("patroni-3.0.2.yml"));

    assertThat(run(Map.of(), "--validate-config", file.toString())).isZero();
    assertThat(out())
        .contains("WARNING bootstrap.users: deprecated")
        .doesNotContain("log.dir")
        .doesNotContain("watchdog")
        .contains("Configuration is valid (");
    assertThat(out()).doesNotContain("ERROR");
  }

  @Test
  void validateConfigPrintsEveryProblemAndExitsOneOnErrors() {
    Path file =
        ConfigFixtures.write(
            dir,
            "p.yml",
            ConfigFixtures.MINIMAL.replace("listen: 127.0.0.1:5432", "listen: 127.0.0.1:0")
                + "colour: blue\nzookeeper:\n  hosts: zk:2181\n");

    assertThat(run(Map.of(), "--validate-config", file.toString())).isEqualTo(1);
    assertThat(out().lines().toList())
        .contains(
            "ERROR   postgresql.listen: '127.0.0.1:0' has an invalid port: write it as host:port"
                + " (port 1-65535)",
            "WARNING colour: unknown key; ignored",
            "ERROR   etcd3, zookeeper: more than one store section (etcd3 and zookeeper): keep"
                + " exactly one of them",
            "Configuration is invalid: 2 error(s), 1 warning(s)");
  }

  @Test
  void startingWithAnInvalidConfigurationPrintsOneLinePerErrorAndStartsNothing() {
    Path file =
        ConfigFixtures.write(
            dir, "p.yml", ConfigFixtures.MINIMAL.replace("scope: batman\n", "") + "ttl: x\n");

    assertThat(run(Map.of(), file.toString())).isEqualTo(1);
    assertThat(started).isEmpty();
    assertThat(err().lines().toList())
        .containsExactly(
            "scope: required but not set",
            "regent: the configuration is invalid; nothing was started");
  }

  @Test
  void startingWithAValidConfigurationHandsItToTheApplication() {
    Path file = ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL + "colour: blue\n");

    assertThat(run(Map.of("PATRONI_NAME", "pg9"), file.toString(), "--debug")).isZero();
    assertThat(started).singleElement().satisfies(c -> assertThat(c.name()).isEqualTo("pg9"));
    assertThat(startedArgs.get(0)).containsExactly("--debug");
    assertThat(err()).isEmpty();
  }

  @Test
  void withoutArgumentsTheEnvironmentIsTheConfiguration() {
    assertThat(run(Map.of("PATRONI_CONFIGURATION", ConfigFixtures.MINIMAL))).isZero();
    assertThat(started).singleElement().satisfies(c -> assertThat(c.scope()).isEqualTo("batman"));

    assertThat(run(Map.of("HOME", "/root"))).isEqualTo(RegentMain.EXIT_USAGE);
    assertThat(err()).contains("no configuration given").contains("Usage:");
  }

  @Test
  void versionNamesRegentAndThePatroniVersionItImplements() {
    assertThat(run(Map.of(), "--version")).isZero();
    assertThat(out()).matches("regent \\S+ \\(implements Patroni 4\\.1\\.4\\)\\n");
    assertThat(out()).doesNotContain("unknown").doesNotContain("@");
  }

  @Test
  void demoTakesNoArguments() {
    assertThat(run(Map.of(), "demo", "extra")).isEqualTo(2);
    assertThat(err()).contains("demo takes no arguments");
    assertThat(started).isEmpty();
  }

  @Test
  void usageErrors() {
    assertThat(run(Map.of(), "--validate-config")).isEqualTo(2);
    assertThat(run(Map.of(), "--frobnicate")).isEqualTo(2);
    assertThat(err()).contains("unknown option --frobnicate");
    assertThat(run(Map.of(), "--help")).isZero();
    assertThat(out()).contains("--validate-config");
  }

  @Test
  void theLogSectionIsAppliedBeforeStartingAndAProblemIsOneLine() {
    Path file =
        ConfigFixtures.write(dir, "p.yml", ConfigFixtures.MINIMAL + "log:\n  dir: /nowhere\n");
    List<LogSettings> applied = new ArrayList<>();
    RegentMain main =
        new RegentMain(
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            (c, a) -> started.add(c),
            s -> {
              applied.add(s);
              throw new IllegalStateException("log.dir: cannot open /nowhere/patroni.log");
            });

    assertThat(main.execute(file.toString())).isEqualTo(1);
    assertThat(applied).extracting(LogSettings::dir).containsExactly(Path.of("/nowhere"));
    assertThat(err().lines().toList())
        .containsExactly(
            "log.dir: cannot open /nowhere/patroni.log",
            "regent: logging cannot be set up; nothing was started");
    assertThat(started).isEmpty();
  }
}
