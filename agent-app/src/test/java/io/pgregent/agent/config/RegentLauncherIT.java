package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/regent --validate-config} as a process, finding the jar that {@code package} built in
 * {@code agent-app/target} (run by Failsafe after {@code package}).
 */
@Timeout(120)
class RegentLauncherIT {

  private static Path launcher;

  @TempDir Path dir;

  @BeforeAll
  static void findLauncherAndJar() throws IOException {
    Path module = Path.of("").toAbsolutePath();
    launcher = module.resolveSibling("bin").resolve("regent");
    // Failsafe runs after packaging: both must exist, and a missing one is a failure.
    assertThat(Files.isExecutable(launcher)).as("bin/regent from " + module).isTrue();
    try (Stream<Path> jars = Files.list(module.resolve("target"))) {
      assertThat(jars.anyMatch(p -> p.getFileName().toString().matches("agent-app-.*\\.jar")))
          .as("agent-app jar built")
          .isTrue();
    }
  }

  private record Result(int code, String output) {}

  private Result run(String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(launcher.toString());
    pb.command().addAll(java.util.List.of(args));
    pb.environment().remove("REGENT_JAR");
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void validateConfigExitCodes() throws Exception {
    Path good = ConfigFixtures.write(dir, "good.yml", ConfigFixtures.resource("patroni-3.0.2.yml"));
    Result ok = run("--validate-config", good.toString());
    assertThat(ok.code()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("WARNING bootstrap.users").contains("Configuration is valid");

    Path bad =
        ConfigFixtures.write(
            dir, "bad.yml", ConfigFixtures.MINIMAL.replace("listen: 127.0.0.1:8008", "listen: x"));
    Result ko = run("--validate-config", bad.toString());
    assertThat(ko.code()).as(ko.output()).isEqualTo(1);
    assertThat(ko.output()).contains("ERROR   restapi.listen: 'x' has no port");

    Result start = run(bad.toString());
    assertThat(start.code()).isEqualTo(1);
    assertThat(start.output()).contains("restapi.listen: 'x' has no port");

    Result version = run("--version");
    assertThat(version.code()).isZero();
    assertThat(version.output()).contains("implements Patroni 4.1.4");
  }
}
