package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bin/regentctl} as a process, finding the executable jar that {@code package} built in
 * {@code regentctl/target} (run by Failsafe after {@code package}).
 */
@Timeout(120)
class RegentCtlLauncherIT {

  private static Path launcher;

  @BeforeAll
  static void findLauncherAndJar() throws IOException {
    Path module = Path.of("").toAbsolutePath();
    launcher = module.resolveSibling("bin").resolve("regentctl");
    assertThat(Files.isExecutable(launcher)).as("bin/regentctl from " + module).isTrue();
    try (Stream<Path> jars = Files.list(module.resolve("target"))) {
      assertThat(jars.anyMatch(p -> p.getFileName().toString().matches("regentctl-.*\\.jar")))
          .as("regentctl jar built")
          .isTrue();
    }
  }

  private record Result(int code, String out, String err) {}

  private static Result run(String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(launcher.toString());
    pb.command().addAll(List.of(args));
    pb.environment().remove("REGENT_CTL_JAR");
    pb.environment().remove("PATRONICTL_CONFIG_FILE");
    pb.environment().keySet().removeIf(k -> k.startsWith("PATRONI_"));
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(
        p.exitValue(),
        new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void runsTheJarWithPatronictlExitCodes() throws Exception {
    Result version = run("--version");
    assertThat(version.code()).as(version.err()).isZero();
    assertThat(version.out()).startsWith("regentctl version ");

    Result usage = run("list", "--no-such-option");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Usage: regentctl list");

    int closed = FreePorts.next();
    Result unreachable = run("-d", "etcd3://127.0.0.1:" + closed, "list", "nowhere");
    assertThat(unreachable.code()).isEqualTo(1);
    assertThat(unreachable.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("regentctl: etcd3 unreachable at http://127.0.0.1:" + closed);

    try (EtcdServer etcd = EtcdServer.start()) {
      Captures.write(etcd, "bench", Captures.section("2."));
      Result list = run("-d", "etcd3://127.0.0.1:" + etcd.clientPort(), "list", "bench");
      assertThat(list.code()).as(list.err()).isZero();
      assertThat(list.err()).isEmpty();
      assertThat(list.out()).startsWith("+ Cluster: bench (7710782928459690229) ");
      assertThat(list.out()).contains("| pg1    | 127.0.0.1:5433 | Leader  | running |  2 |");
    }
  }
}
