package io.pgregent.postgres;

import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * PostgreSQL's timeline history files ({@code pg_wal/0000000N.history}): where each timeline before
 * N ended, to the byte. Two members whose files differ for a timeline are of different lineages,
 * whatever numbers their timelines have.
 */
public final class TimelineHistoryFile {

  /** One line: {@code timeline} ended at {@code lsn}, and the next one began there. */
  public record Switch(long timeline, long lsn, String reason) {}

  private TimelineHistoryFile() {}

  /** The history file of {@code timeline} in {@code dataDir}'s pg_wal. */
  public static Path of(Path dataDir, long timeline) {
    return dataDir.resolve("pg_wal").resolve(String.format("%08X.history", timeline));
  }

  /**
   * Makes PostgreSQL number its next timeline past {@code through}: a promotion takes the first
   * number after its own timeline that has no history file in pg_wal (or the archive), so a
   * placeholder is written for each number from {@code current + 1} to {@code through} that has
   * none. These are timelines other members took; a member that never received their history files
   * would otherwise take the same number again, and two timelines under one number that begin at
   * one point look the same to pg_rewind. A placeholder holds only a comment: it names no parent,
   * so a standby never takes it for a timeline to follow (PostgreSQL reads it as "not a child" of
   * its own), and standbys fetching history files from this server get it too, which keeps them
   * from the number as well.
   *
   * @return the numbers written
   */
  public static List<Long> reserve(Path dataDir, long current, long through, OsUser owner) {
    List<Long> written = new ArrayList<>();
    for (long tl = Math.max(current + 1, 2); tl <= through; tl++) {
      Path file = of(dataDir, tl);
      if (Files.exists(file)) {
        continue;
      }
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try {
        Files.writeString(
            tmp,
            "# timeline "
                + tl
                + " was taken by another member of the cluster: this placeholder keeps a promotion"
                + " here from taking its number again\n",
            StandardCharsets.US_ASCII,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
        owner.chown(tmp);
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
          // not a POSIX file system: PostgreSQL checks nothing there either
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the placeholder history file " + file, e);
      }
      written.add(tl);
    }
    return written;
  }

  /**
   * The number a promotion from {@code current} takes: the first after it without a history file.
   */
  public static long next(Path dataDir, long current) {
    long tl = current + 1;
    while (Files.exists(of(dataDir, tl))) {
      tl++;
    }
    return tl;
  }

  /** The switches before {@code timeline}, oldest first; empty on timeline 1 or without a file. */
  public static List<Switch> switchesBefore(Path dataDir, long timeline) {
    if (timeline <= 1) {
      return List.of();
    }
    try {
      return read(of(dataDir, timeline));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  /** The newest history file in {@code dataDir}'s pg_wal: the one a promotion just wrote. */
  public static Optional<Path> newest(Path dataDir) {
    try (Stream<Path> files = Files.list(dataDir.resolve("pg_wal"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("[0-9A-F]{8}\\.history"))
          .max(Path::compareTo);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Parses a history file: {@code timeline <tab> lsn <tab> reason} per line, comments skipped.
   *
   * @throws NoSuchFileException when it does not exist
   */
  public static List<Switch> read(Path file) throws IOException {
    List<Switch> switches = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.trim().split("\\s+", 3);
      if (f.length < 2 || f[0].startsWith("#")) {
        continue;
      }
      String[] lsn = f[1].split("/");
      switches.add(
          new Switch(
              Long.parseLong(f[0]),
              (Long.parseLong(lsn[0], 16) << 32) | Long.parseLong(lsn[1], 16),
              f.length > 2 ? f[2].trim() : ""));
    }
    return switches;
  }
}
