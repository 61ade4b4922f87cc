package io.pgregent.postgres.fence;

import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The fence's state directory as the agent touches it. The directory belongs to PostgreSQL's OS
 * user while the agent may run as root: nothing here follows a link, reads a FIFO or changes a file
 * it did not just create.
 */
final class FenceDirectory {

  private static final int LOG_TAIL_BYTES = 64 * 1024;

  private FenceDirectory() {}

  /**
   * Creates the state directory (owned by {@code user}, 0700) and writes the script into it;
   * returns its real path.
   */
  static Path prepare(Path stateDir, OsUser user) {
    try {
      Files.createDirectories(stateDir);
      Path state = stateDir.toRealPath();
      user.chown(state);
      setPermissions(state, "rwx------");
      Path log = state.resolve(FenceProcess.LOG_FILE);
      if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
        createPrivateFile(log, new byte[0], user);
      }
      byte[] script = script();
      Path target = state.resolve(FenceProcess.SCRIPT);
      if (Arrays.equals(readRegularFile(target), script)) {
        return state;
      }
      // A new inode: a running fence keeps reading the script it started with.
      Path tmp = state.resolve(FenceProcess.SCRIPT + ".tmp");
      Files.deleteIfExists(tmp);
      createPrivateFile(tmp, script, user);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException ex) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return state;
    } catch (IOException | UncheckedIOException ex) {
      throw new FenceException(
          "cannot prepare the fence directory " + stateDir + ": " + ex.getMessage(), ex);
    }
  }

  /** A new file with mode 0600 from the start, owned by {@code user}; fails if the name exists. */
  private static void createPrivateFile(Path file, byte[] content, OsUser user) throws IOException {
    FileAttribute<Set<PosixFilePermission>> mode =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    try (FileChannel channel =
        FileChannel.open(
            file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), mode)) {
      ByteBuffer bytes = ByteBuffer.wrap(content);
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    }
    user.chown(file);
  }

  private static void setPermissions(Path path, String mode) throws IOException {
    Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(PosixFilePermissions.fromString(mode));
  }

  /** The bytes of {@code file} if it is a regular file (not a link, FIFO, …), else empty. */
  private static byte[] readRegularFile(Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return new byte[0];
    }
    try (FileChannel channel =
            FileChannel.open(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        InputStream in = Channels.newInputStream(channel)) {
      return in.readNBytes(1024 * 1024);
    } catch (IOException ex) {
      return new byte[0];
    }
  }

  private static byte[] script() throws IOException {
    try (InputStream in = FenceProcess.class.getResourceAsStream(FenceProcess.SCRIPT)) {
      if (in == null) {
        throw new IOException(
            "the resource " + FenceProcess.SCRIPT + " is missing from the class path");
      }
      return in.readAllBytes();
    }
  }

  static Optional<Long> readPid(Path state) {
    try {
      String text =
          new String(
                  readRegularFile(state.resolve(FenceProcess.PID_FILE)), StandardCharsets.US_ASCII)
              .strip();
      return Optional.of(Long.parseLong(text));
    } catch (NumberFormatException ex) {
      return Optional.empty();
    }
  }

  static String logTail(Path state) {
    Path log = state.resolve(FenceProcess.LOG_FILE);
    if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)) {
      return "";
    }
    try (FileChannel channel =
        FileChannel.open(log, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      channel.position(Math.max(0, channel.size() - LOG_TAIL_BYTES));
      String text =
          new String(
              Channels.newInputStream(channel).readNBytes(LOG_TAIL_BYTES), StandardCharsets.UTF_8);
      List<String> lines = text.lines().toList();
      List<String> tail = lines.subList(Math.max(0, lines.size() - 5), lines.size());
      return tail.isEmpty() ? "" : "; its log ends with:\n" + String.join("\n", tail);
    } catch (IOException ex) {
      return "";
    }
  }
}
