package io.pgregent.postgres.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CommandRunnerTests {

  final CommandRunner runner = new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser()));

  @Test
  void runsAsThePostgresUserWithOutputAndExitCode() {
    CommandResult r =
        runner.run(
            List.of("sh", "-c", "id -u; echo oops >&2; exit 4"), Map.of(), Duration.ofSeconds(10));

    assertThat(r.exitCode()).isEqualTo(4);
    assertThat(r.succeeded()).isFalse();
    assertThat(r.output()).contains("oops");
    int uid = Integer.parseInt(r.output().strip().split("\n")[0]);
    assertThat(uid).isEqualTo(runner.user().uid()).isNotZero();
  }

  @Test
  void passesOnlyTheGivenLibpqVariables() {
    CommandResult r =
        runner.run(
            List.of("sh", "-c", "echo \"[$PGPASSFILE][$PGDATA]\""),
            Map.of("PGPASSFILE", "/x/pgpass"),
            Duration.ofSeconds(10));
    assertThat(r.output().strip()).isEqualTo("[/x/pgpass][]");
  }

  @Test
  void aCommandRunningOverItsBoundIsKilled() {
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> runner.run(List.of("sleep", "30"), Map.of(), Duration.ofMillis(500)))
        .isInstanceOf(CommandTimeoutException.class)
        .hasMessageContaining("sleep did not finish within 500 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void anInterruptedCommandIsKilledWithWhatItStarted() throws Exception {
    java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("regent-child", ".pid");
    java.nio.file.Files.setPosixFilePermissions(
        pidFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    Thread caller =
        new Thread(
            () -> {
              try {
                runner.run(
                    List.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"),
                    Map.of(),
                    Duration.ofSeconds(50));
              } catch (CommandTimeoutException expected) {
                // interrupted
              }
            });
    caller.start();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !java.nio.file.Files.readString(pidFile).isBlank());
    long child = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
    caller.interrupt();
    caller.join(10_000);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> gone(child));
    java.nio.file.Files.deleteIfExists(pidFile);
  }

  /** Exited: no such process, or a zombie nobody reaped yet. */
  private static boolean gone(long pid) {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"))
          .contains(") Z ");
    } catch (java.io.IOException e) {
      return true;
    }
  }

  @Test
  void theKeysPassphraseNeverReachesTheLog() {
    String logged =
        CommandRunner.redacted(
            List.of(
                "pg_basebackup",
                "--dbname=host=h sslpassword='it\\'s a secret' sslmode=verify-ca",
                "--source-server=host=h sslpassword=plain port=5"));

    assertThat(logged)
        .doesNotContain("secret")
        .doesNotContain("plain")
        .contains("sslmode=verify-ca", "port=5", "sslpassword=<hidden>");
  }
}
