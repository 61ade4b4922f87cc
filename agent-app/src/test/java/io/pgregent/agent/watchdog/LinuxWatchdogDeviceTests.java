package io.pgregent.agent.watchdog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.config.WatchdogSettings;
import io.pgregent.agent.config.WatchdogSettings.Driver;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The Linux driver. A real device is opened only when REGENT_TEST_WATCHDOG_DEVICE names one. */
@EnabledOnOs(OS.LINUX)
class LinuxWatchdogDeviceTests {

  static final String DEVICE_VARIABLE = "REGENT_TEST_WATCHDOG_DEVICE";

  @TempDir Path dir;

  @Test
  void requestNumbersAreTheKernels() {
    String arch = System.getProperty("os.arch");
    assumeThat(arch).as("the common ioctl layout").isIn("amd64", "x86_64", "aarch64", "riscv64");
    // <linux/watchdog.h> as compiled on x86-64 and arm64.
    assertThat(LinuxWatchdogDevice.WDIOC_GETSUPPORT).isEqualTo(0x80285700L);
    assertThat(LinuxWatchdogDevice.WDIOC_KEEPALIVE).isEqualTo(0x80045705L);
    assertThat(LinuxWatchdogDevice.WDIOC_SETTIMEOUT).isEqualTo(0xC0045706L);
    assertThat(LinuxWatchdogDevice.WDIOC_GETTIMEOUT).isEqualTo(0x80045707L);
  }

  @Test
  void aMissingDeviceIsReportedWithTheOsError() {
    Path missing = dir.resolve("watchdog");
    LinuxWatchdogDevice device = new LinuxWatchdogDevice(missing.toString());

    assertThat(device.isUsable()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(device::open)
        .isInstanceOf(WatchdogException.class)
        .hasMessage(
            "Can't open watchdog device: [Errno 2] No such file or directory: '" + missing + "'");
    assertThat(device.isOpen()).isFalse();
    assertThat(new Watchdog(settings(GuardMode.REQUIRED, missing)).activate(20)).isFalse();
  }

  @Test
  void aFileThatIsNotAWatchdogIsNotActivated() throws Exception {
    // Opens, but the first ioctl fails: the device is closed again with the magic character.
    Path file = java.nio.file.Files.createFile(dir.resolve("not-a-watchdog"));
    Watchdog w = new Watchdog(settings(GuardMode.REQUIRED, file));

    assertThat(w.activate(20)).isFalse();
    assertThat(w.refusesLeadership()).isTrue();
    assertThat(java.nio.file.Files.readString(file)).isEqualTo("V");
  }

  /**
   * A real watchdog resets the host if this test dies between opening and closing it; with the
   * softdog module loaded as {@code modprobe softdog soft_noboot=1} it only logs.
   */
  @Test
  @EnabledIfEnvironmentVariable(
      named = DEVICE_VARIABLE,
      matches = ".+",
      disabledReason =
          "opens a real watchdog device, which can reset the machine: set "
              + DEVICE_VARIABLE
              + "=/dev/watchdog to run it")
  void aRealDeviceIsArmedPingedAndDisarmed() {
    Path device = Path.of(System.getenv(DEVICE_VARIABLE));
    Watchdog w = new Watchdog(settings(GuardMode.REQUIRED, device));
    try {
      assertThat(w.activate(20, 10)).isTrue();
      assertThat(w.timeoutSeconds()).isEqualTo(15);
      w.keepalive();
      assertThat(w.activate(30, 10)).isTrue();
      assertThat(w.timeoutSeconds()).isEqualTo(25);
      w.keepalive();
    } finally {
      w.disable();
    }
    assertThat(w.isActive()).isFalse();
    assertThat(w.watchdogFailed()).isFalse();
  }

  private static WatchdogSettings settings(GuardMode mode, Path device) {
    return new WatchdogSettings(mode, device.toString(), 5, Driver.LINUX);
  }
}
