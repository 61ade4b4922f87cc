package io.pgregent.agent.watchdog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.config.WatchdogSettings;
import io.pgregent.agent.config.WatchdogSettings.Driver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The watchdog through Patroni's testing driver, against a FIFO read as its acceptance suite does.
 */
@ExtendWith(OutputCaptureExtension.class)
@Timeout(60)
class WatchdogTests {

  private static final Duration AT_MOST = Duration.ofSeconds(10);

  @TempDir Path dir;
  private WatchdogMonitor monitor;
  private Watchdog watchdog;

  @BeforeEach
  void startMonitor() throws Exception {
    monitor = new WatchdogMonitor(dir.resolve("watchdog.fifo"));
  }

  @AfterEach
  void stop() throws Exception {
    if (watchdog != null) {
      watchdog.close();
    }
    monitor.close();
  }

  private Watchdog testing(GuardMode mode, String device, int safetyMargin) {
    watchdog = new Watchdog(new WatchdogSettings(mode, device, safetyMargin, Driver.TESTING));
    return watchdog;
  }

  private Watchdog onMonitor(GuardMode mode) {
    return testing(mode, monitor.fifo.toString(), 5);
  }

  @Test
  void activationSetsTtlMinusSafetyMarginKeepalivePingsAndDisableClosesMagically(
      CapturedOutput output) {
    Watchdog w = onMonitor(GuardMode.REQUIRED);

    assertThat(w.activate(20, 10)).isTrue();
    await().atMost(AT_MOST).until(() -> monitor.timeouts.contains(15));
    assertThat(w.isActive()).isTrue();
    assertThat(w.timeoutSeconds()).isEqualTo(15);
    assertThat(w.watchdogFailed()).isFalse();
    assertThat(w.refusesLeadership()).isFalse();
    assertThat(output)
        .contains(
            "Watchdog test harness at "
                + monitor.fifo
                + " activated with 15 second timeout, timing slack 5 seconds");

    w.keepalive();
    await().atMost(AT_MOST).until(() -> monitor.pings() == 1);
    w.keepalive();
    await().atMost(AT_MOST).until(() -> monitor.pings() == 2);

    w.disable();
    await().atMost(AT_MOST).until(monitor::wasClosed);
    assertThat(monitor.received()).isEqualTo("Ctimeout=15\n11V");
    assertThat(w.isActive()).isFalse();
    assertThat(w.timeoutSeconds()).isZero();
    // Disarmed on purpose (demotion, pause) is not a failure.
    assertThat(w.watchdogFailed()).isFalse();
  }

  @Test
  void aTtlChangeSetsTheTimeoutAgainAndAnUnchangedTtlWritesNothing(CapturedOutput output) {
    Watchdog w = onMonitor(GuardMode.REQUIRED);

    assertThat(w.activate(20)).isTrue();
    assertThat(w.activate(20)).isTrue();
    w.keepalive();
    assertThat(w.activate(30)).isTrue();
    w.keepalive();

    await().atMost(AT_MOST).until(() -> monitor.pings() == 2);
    assertThat(monitor.received()).isEqualTo("Ctimeout=15\n1Ctimeout=25\n1");
    assertThat(monitor.timeout()).isEqualTo(25);
    assertThat(w.timeoutSeconds()).isEqualTo(25);
    assertThat(output).contains("updated with 25 second timeout");
  }

  @Test
  void aSafetyMarginOfMinusOneExpiresAtHalfTheTtl() {
    Watchdog w = testing(GuardMode.REQUIRED, monitor.fifo.toString(), -1);

    assertThat(w.activate(21)).isTrue();
    await().atMost(AT_MOST).until(() -> monitor.timeouts.contains(10));
  }

  @Test
  void afterDisableTheNextActivationOpensItAgain() {
    // Patroni's "watchdog is opened and pinged after resume".
    Watchdog w = onMonitor(GuardMode.REQUIRED);
    assertThat(w.activate(20)).isTrue();
    w.disable();
    await().atMost(AT_MOST).until(monitor::wasClosed);
    monitor.reset();

    assertThat(w.activate(20)).isTrue();
    w.keepalive();
    await().atMost(AT_MOST).until(() -> monitor.pings() == 1);
    assertThat(monitor.received()).isEqualTo("Ctimeout=15\nVCtimeout=15\n1");
  }

  @Test
  void requiredWithoutTheDeviceRefusesLeadershipAndReportsTheFailure(CapturedOutput output) {
    Path missing = dir.resolve("no-such-watchdog");
    Watchdog w = testing(GuardMode.REQUIRED, missing.toString(), 5);

    assertThat(w.watchdogFailed()).as("known before any activation").isTrue();
    assertThat(w.activate(20)).isFalse();
    assertThat(w.activate(20)).isFalse();

    assertThat(w.isHealthy()).isFalse();
    assertThat(w.watchdogFailed()).isTrue();
    assertThat(w.refusesLeadership()).isTrue();
    String line =
        "Could not activate Watchdog test harness at "
            + missing
            + ": Can't open watchdog device: [Errno 2] No such file or directory: '"
            + missing
            + "' (watchdog.mode required: this member will not be the leader)";
    assertThat(output).contains(line);
    assertThat(output.toString().split(java.util.regex.Pattern.quote(line), -1))
        .as("logged once while the reason stays the same")
        .hasSize(2);
  }

  @Test
  void automaticWithoutTheDeviceRunsWithoutItAndIsNotAFailure(CapturedOutput output) {
    Path missing = dir.resolve("no-such-watchdog");
    Watchdog w = testing(GuardMode.AUTOMATIC, missing.toString(), 5);

    assertThat(w.activate(20)).isFalse();
    w.keepalive();

    assertThat(w.isActive()).isFalse();
    assertThat(w.watchdogFailed()).isFalse();
    assertThat(w.refusesLeadership()).isFalse();
    assertThat(output).contains("(watchdog.mode automatic: running without a watchdog)");
  }

  @Test
  void aFifoNobodyReadsFailsAtOnceInsteadOfBlockingTheLoop() throws Exception {
    Path lonely = dir.resolve("lonely.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", lonely.toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Watchdog w = testing(GuardMode.REQUIRED, lonely.toString(), 5);

    assertThat(w.activate(20)).isFalse();
    assertThat(w.refusesLeadership()).isTrue();
  }

  @Test
  void aTtlThatLeavesNoSafeTimeoutIsRefusedAndDisarmsAnActiveWatchdog(CapturedOutput output) {
    Watchdog w = onMonitor(GuardMode.REQUIRED);
    assertThat(w.activate(20, 10)).isTrue();

    // ttl 14 - margin 5 = 9 s, less than loop_wait 10: a stalled cycle would fire it.
    assertThat(w.activate(14, 10)).isFalse();
    await().atMost(AT_MOST).until(monitor::wasClosed);
    assertThat(w.watchdogFailed()).isTrue();
    assertThat(w.refusesLeadership()).isTrue();

    assertThat(output)
        .contains(
            "Watchdog not supported because leader TTL 14 minus the safety margin leaves a 9"
                + " second timeout, less than loop_wait 10 (watchdog.mode required: this member"
                + " will not be the leader)");

    // ttl 5 with the default margin of 5: no timeout at all.
    assertThat(w.activate(5)).isFalse();
    assertThat(output)
        .contains(
            "Watchdog not supported because leader TTL 5 leaves no timeout after the safety margin"
                + " of 5 seconds");

    assertThat(w.activate(20, 10)).isTrue();
    assertThat(w.watchdogFailed()).isFalse();
  }

  @Test
  void offOpensNothing() throws Exception {
    Path file = Files.createFile(dir.resolve("watchdog.log"));
    Watchdog w = testing(GuardMode.OFF, file.toString(), 5);

    assertThat(w.activate(20)).isFalse();
    w.keepalive();
    w.disable();

    assertThat(Files.readString(file)).isEmpty();
    assertThat(w.watchdogFailed()).isFalse();
    assertThat(w.refusesLeadership()).isFalse();
  }

  @Test
  void aPlainFileRecordsEveryWrite() throws Exception {
    Path file = Files.createFile(dir.resolve("watchdog.log"));
    Watchdog w = testing(GuardMode.REQUIRED, file.toString(), 5);

    assertThat(w.activate(20)).isTrue();
    w.keepalive();
    w.disable();
    assertThat(w.activate(25)).isTrue();
    w.close();

    assertThat(Files.readString(file)).isEqualTo("Ctimeout=15\n1VCtimeout=20\nV");
  }
}
