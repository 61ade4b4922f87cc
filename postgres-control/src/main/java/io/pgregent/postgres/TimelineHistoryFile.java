package io.pgregent.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
