package io.pgregent.agent.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TriggeringPolicyBase;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Patroni's log file: {@code patroni.log} in {@code log.dir}, renamed to {@code patroni.log.1} (the
 * older ones shifted up to {@code file_num}, the oldest dropped) before a line would make it reach
 * {@code file_size} bytes; each file opened gets {@code log.mode}'s permissions.
 */
final class LogFiles {

  private LogFiles() {}

  /** A file that never rotates ({@code file_num} or {@code file_size} 0, as Patroni). */
  static final class PlainFile extends FileAppender<ILoggingEvent> {
    private final Integer mode;

    PlainFile(Integer mode) {
      this.mode = mode;
    }

    @Override
    public void openFile(String fileName) throws IOException {
      super.openFile(fileName);
      chmod(fileName, mode);
    }
  }

  /** The rotating file. */
  static final class RotatingFile extends RollingFileAppender<ILoggingEvent> {
    private final Integer mode;

    RotatingFile(Integer mode) {
      this.mode = mode;
    }

    @Override
    public void openFile(String fileName) throws IOException {
      super.openFile(fileName);
      chmod(fileName, mode);
    }
  }

  /** {@code patroni.log.1} … {@code patroni.log.<file_num>}, however many. */
  static final class Window extends FixedWindowRollingPolicy {
    @Override
    protected int getMaxWindowSize() {
      return Integer.MAX_VALUE;
    }
  }

  /**
   * Rolls before a line would bring the file to {@code maxBytes} (the size a line adds is that of
   * its encoding), so a file stays below the limit unless one line alone exceeds it.
   */
  static final class SizeLimit extends TriggeringPolicyBase<ILoggingEvent> {
    private final long maxBytes;
    private final Encoder<ILoggingEvent> encoder;

    SizeLimit(long maxBytes, Encoder<ILoggingEvent> encoder) {
      this.maxBytes = maxBytes;
      this.encoder = encoder;
    }

    @Override
    public boolean isTriggeringEvent(File activeFile, ILoggingEvent event) {
      long size = activeFile.length();
      return size > 0 && size + encoder.encode(event).length >= maxBytes;
    }
  }

  private static void chmod(String fileName, Integer mode) throws IOException {
    if (mode == null) {
      return;
    }
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = PosixFilePermission.values();
    // OWNER_READ … OTHERS_EXECUTE are declared from the highest bit (0400) to the lowest (0001).
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (0400 >> i)) != 0) {
        perms.add(bits[i]);
      }
    }
    try {
      Files.setPosixFilePermissions(Path.of(fileName), perms);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the file keeps what the system gave it.
    }
  }
}
