package io.pgregent.agent.watchdog;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.util.Locale;

/** The few C library calls the watchdog drivers need (the JDK has no ioctl, no O_NONBLOCK open). */
interface LibC extends Library {

  int open(String path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

  int ioctl(int fd, NativeLong request, Pointer argument) throws LastErrorException;

  String strerror(int errno);

  /** The library, loaded on first use; a load failure is reported by {@link #get()}. */
  final class Holder {
    private static final Object INSTANCE = load();

    private Holder() {}

    private static Object load() {
      try {
        return Native.load(Platform.C_LIBRARY_NAME, LibC.class);
      } catch (LinkageError | RuntimeException e) {
        return e;
      }
    }
  }

  /** The C library, or an exception saying why it cannot be used here. */
  static LibC get() throws WatchdogException {
    if (Holder.INSTANCE instanceof LibC libc) {
      return libc;
    }
    throw new WatchdogException("cannot call the C library: " + Holder.INSTANCE);
  }

  // open(2) flags. The values below are those of most Linux architectures (x86, ARM, RISC-V,
  // POWER, s390); a few (MIPS, SPARC, Alpha, PA-RISC) number them differently, and there only
  // the portable O_WRONLY is used.
  int O_WRONLY = 1;

  /** Whether this architecture uses the common flag values. */
  static boolean commonFlags() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return !(arch.startsWith("mips")
        || arch.startsWith("sparc")
        || arch.startsWith("alpha")
        || arch.startsWith("parisc")
        || arch.startsWith("hppa"));
  }

  /** O_WRONLY plus close-on-exec (no program the agent starts may inherit an armed watchdog). */
  static int writeOnlyFlags() {
    return commonFlags() ? O_WRONLY | 02000000 : O_WRONLY;
  }

  /**
   * {@link #writeOnlyFlags()} plus non-blocking (a FIFO without a reader fails at once) and append.
   */
  static int writeOnlyNonBlockingAppendFlags() {
    return commonFlags() ? writeOnlyFlags() | 04000 | 02000 : O_WRONLY;
  }

  /** Python's rendering of an OS error, as Patroni's messages show it. */
  static String describe(LibC libc, LastErrorException e, String path) {
    int errno = e.getErrorCode();
    String text;
    try {
      text = libc.strerror(errno);
    } catch (RuntimeException | LinkageError other) {
      text = e.getMessage();
    }
    return "[Errno " + errno + "] " + text + (path == null ? "" : ": '" + path + "'");
  }

  /** Writes all of {@code bytes}. */
  static void writeFully(LibC libc, int fd, byte[] bytes) throws LastErrorException {
    int done = 0;
    while (done < bytes.length) {
      byte[] rest = done == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, done, bytes.length);
      long n = libc.write(fd, rest, new NativeLong(rest.length)).longValue();
      done += (int) n;
    }
  }
}
