package io.pgregent.agent.watchdog;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.util.Arrays;
import java.util.Locale;

/**
 * Loading {@link LibC}, Linux's open flags, and OS errors worded as Patroni's messages show them.
 */
final class Posix {

  private static final int O_WRONLY = 1;
  // The values of most Linux architectures (x86, ARM, RISC-V, POWER, s390); MIPS, SPARC, Alpha
  // and PA-RISC number them differently, and there only O_WRONLY is used.
  private static final int O_APPEND = 02000;
  private static final int O_NONBLOCK = 04000;
  private static final int O_CLOEXEC = 02000000;

  private Posix() {}

  /** Loaded on first use: a host that never opens a watchdog never loads JNA's native code. */
  private static final class Holder {
    private static final Object LIBC = load();

    private static Object load() {
      try {
        return Native.load(Platform.C_LIBRARY_NAME, LibC.class);
      } catch (LinkageError | RuntimeException e) {
        return e;
      }
    }
  }

  /** The C library, or an exception saying why it cannot be called here. */
  static LibC libc() throws WatchdogException {
    if (Holder.LIBC instanceof LibC libc) {
      return libc;
    }
    throw new WatchdogException("cannot call the C library: " + Holder.LIBC);
  }

  private static boolean commonFlags() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return !(arch.startsWith("mips")
        || arch.startsWith("sparc")
        || arch.startsWith("alpha")
        || arch.startsWith("parisc")
        || arch.startsWith("hppa"));
  }

  /** Write-only, close-on-exec: no program the agent starts may inherit an armed watchdog. */
  static int writeOnly() {
    return commonFlags() ? O_WRONLY | O_CLOEXEC : O_WRONLY;
  }

  /** {@link #writeOnly()}, appending, and not waiting for a FIFO's reader. */
  static int writeOnlyNonBlockingAppend() {
    return commonFlags() ? writeOnly() | O_NONBLOCK | O_APPEND : O_WRONLY;
  }

  /** Python's rendering of an OS error ({@code [Errno 2] No such file or directory: 'path'}). */
  static String describe(LibC libc, LastErrorException e, String path) {
    int errno = e.getErrorCode();
    String text;
    try {
      text = libc.strerror(errno);
    } catch (RuntimeException | LinkageError other) {
      text = e.getMessage();
    }
    return describe(errno, text, path);
  }

  static String describe(int errno, String text, String path) {
    return "[Errno " + errno + "] " + text + (path == null ? "" : ": '" + path + "'");
  }

  /** Writes all of {@code bytes}. */
  static void writeFully(LibC libc, int fd, byte[] bytes) throws LastErrorException {
    int done = 0;
    while (done < bytes.length) {
      byte[] rest = done == 0 ? bytes : Arrays.copyOfRange(bytes, done, bytes.length);
      done += (int) libc.write(fd, rest, new NativeLong(rest.length)).longValue();
    }
  }
}
