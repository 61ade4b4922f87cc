package io.pgregent.agent.watchdog;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import io.pgregent.agent.config.WatchdogSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The Linux watchdog device interface ({@code Documentation/watchdog/watchdog-api.rst}): open the
 * device to arm it, {@code WDIOC_SETTIMEOUT}/{@code WDIOC_GETTIMEOUT} for the timeout, {@code
 * WDIOC_KEEPALIVE} (or a write) to ping it, and write {@code V} before closing to disarm it.
 */
class LinuxWatchdogDevice implements WatchdogDevice {

  // struct watchdog_info: __u32 options, __u32 firmware_version, __u8 identity[32].
  private static final int WATCHDOG_INFO_SIZE = 40;
  private static final int INT_SIZE = 4;

  static final int WDIOF_SETTIMEOUT = 0x0080;
  static final int WDIOF_MAGICCLOSE = 0x0100;
  static final int WDIOF_KEEPALIVEPING = 0x8000;

  private static final Ioctl IOCTL = Ioctl.forThisMachine();
  static final long WDIOC_GETSUPPORT = IOCTL.read('W', 0, WATCHDOG_INFO_SIZE);
  static final long WDIOC_KEEPALIVE = IOCTL.read('W', 5, INT_SIZE);
  static final long WDIOC_SETTIMEOUT = IOCTL.readWrite('W', 6, INT_SIZE);
  static final long WDIOC_GETTIMEOUT = IOCTL.read('W', 7, INT_SIZE);

  /** What {@code WDIOC_GETSUPPORT} reports. */
  record Support(int options, int firmwareVersion, String identity) {
    boolean has(int flag) {
      return (options & flag) != 0;
    }
  }

  protected final String device;
  private int fd = -1;
  private Support support;

  LinuxWatchdogDevice(String device) {
    this.device = device;
  }

  @Override
  public void open() throws WatchdogException {
    if (fd >= 0) {
      return;
    }
    if (!Files.exists(Path.of(device))) {
      // The common case on hosts without a watchdog: said without loading native code.
      throw new WatchdogException(
          "Can't open watchdog device: " + Posix.describe(2, "No such file or directory", device));
    }
    LibC libc = Posix.libc();
    try {
      fd = libc.open(device, openFlags());
    } catch (LastErrorException e) {
      throw new WatchdogException("Can't open watchdog device: " + Posix.describe(libc, e, device));
    }
  }

  int openFlags() {
    return Posix.writeOnly();
  }

  @Override
  public boolean isOpen() {
    return fd >= 0;
  }

  @Override
  public boolean isUsable() {
    Path p = Path.of(device);
    return Files.exists(p) && Files.isWritable(p);
  }

  @Override
  public boolean supportsTimeout() throws WatchdogException {
    return support().has(WDIOF_SETTIMEOUT);
  }

  @Override
  public boolean canBeDisabled() throws WatchdogException {
    return support().has(WDIOF_MAGICCLOSE);
  }

  Support support() throws WatchdogException {
    if (support == null) {
      try (Memory info = new Memory(WATCHDOG_INFO_SIZE)) {
        info.clear();
        ioctl(WDIOC_GETSUPPORT, info, "Could not get information about watchdog device: ");
        byte[] identity = info.getByteArray(8, 32);
        int end = 0;
        while (end < identity.length && identity[end] != 0) {
          end++;
        }
        support =
            new Support(
                info.getInt(0),
                info.getInt(4),
                new String(identity, 0, end, StandardCharsets.UTF_8).strip());
      }
    }
    return support;
  }

  @Override
  public void setTimeout(int seconds) throws WatchdogException {
    checkTimeout(seconds);
    try (Memory arg = new Memory(INT_SIZE)) {
      arg.setInt(0, seconds);
      ioctl(WDIOC_SETTIMEOUT, arg, "Could not set timeout on watchdog device: ");
    }
  }

  static void checkTimeout(int seconds) throws WatchdogException {
    if (seconds <= 0 || seconds >= 0xFFFF) {
      throw new WatchdogException(
          "Invalid timeout " + seconds + ". Supported values are between 1 and 65535");
    }
  }

  @Override
  public int timeout() throws WatchdogException {
    try (Memory arg = new Memory(INT_SIZE)) {
      arg.setInt(0, 0);
      ioctl(WDIOC_GETTIMEOUT, arg, "Could not get timeout on watchdog device: ");
      return arg.getInt(0);
    }
  }

  @Override
  public void keepalive() throws WatchdogException {
    requireOpen();
    if (support().has(WDIOF_KEEPALIVEPING)) {
      try (Memory arg = new Memory(INT_SIZE)) {
        arg.setInt(0, 0);
        ioctl(WDIOC_KEEPALIVE, arg, "Could not send watchdog keepalive: ");
      }
    } else {
      write(new byte[] {'1'}, "Could not send watchdog keepalive: ");
    }
  }

  @Override
  public void close() throws WatchdogException {
    if (fd < 0) {
      return;
    }
    LibC libc = Posix.libc();
    try {
      Posix.writeFully(libc, fd, new byte[] {'V'});
      libc.close(fd);
      fd = -1;
      support = null;
    } catch (LastErrorException e) {
      // The descriptor stays: closing without the magic character leaves the watchdog armed,
      // and a later close can try again.
      throw new WatchdogException(
          "Error while closing " + describe() + ": " + Posix.describe(libc, e, null));
    }
  }

  @Override
  public String describe() {
    String identity = "Linux watchdog device";
    String version = "";
    if (fd >= 0) {
      try {
        Support s = support();
        if (!s.identity().isEmpty()) {
          identity = s.identity();
        }
        version = s.firmwareVersion() == 0 ? "" : " (firmware " + s.firmwareVersion() + ")";
      } catch (WatchdogException e) {
        // the generic name will do
      }
    }
    String at = device.equals(WatchdogSettings.DEFAULT_DEVICE) ? "" : " at " + device;
    return identity + version + at;
  }

  /** Writes to the open device (the testing driver speaks through plain writes). */
  void write(byte[] bytes, String failure) throws WatchdogException {
    requireOpen();
    LibC libc = Posix.libc();
    try {
      Posix.writeFully(libc, fd, bytes);
    } catch (LastErrorException e) {
      throw new WatchdogException(failure + Posix.describe(libc, e, null));
    }
  }

  void requireOpen() throws WatchdogException {
    if (fd < 0) {
      throw new WatchdogException("Watchdog device is closed");
    }
  }

  private void ioctl(long request, Memory arg, String failure) throws WatchdogException {
    requireOpen();
    LibC libc = Posix.libc();
    try {
      libc.ioctl(fd, new NativeLong(request, true), arg);
    } catch (LastErrorException e) {
      throw new WatchdogException(failure + Posix.describe(libc, e, null));
    }
  }

  /** Linux's {@code _IOC} request encoding, which a few architectures lay out differently. */
  record Ioctl(int sizeBits, int none, int write, int read) {

    static Ioctl forThisMachine() {
      String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
      if (arch.startsWith("mips")
          || arch.startsWith("sparc")
          || arch.startsWith("ppc")
          || arch.startsWith("powerpc")) {
        return new Ioctl(13, 1, 4, 2);
      }
      if (arch.startsWith("parisc") || arch.startsWith("hppa")) {
        return new Ioctl(14, 0, 2, 1);
      }
      return new Ioctl(14, 0, 1, 2);
    }

    long read(char type, int nr, int size) {
      return encode(read, type, nr, size);
    }

    long readWrite(char type, int nr, int size) {
      return encode(read | write, type, nr, size);
    }

    private long encode(int dir, char type, int nr, int size) {
      int typeShift = 8;
      int sizeShift = typeShift + 8;
      int dirShift = sizeShift + sizeBits;
      return ((long) dir << dirShift)
          | ((long) type << typeShift)
          | nr
          | ((long) size << sizeShift);
    }
  }
}
