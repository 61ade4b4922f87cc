package io.pgregent.agent.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Regent's fence ({@code regent.fence:}): a small process beside PostgreSQL that stops it when the
 * HA loop's keep-alives stop.
 *
 * @param mode {@code regent.fence.mode} (default {@code automatic})
 * @param dir {@code regent.fence.dir}, where the fence keeps its FIFO, pid file and log (default:
 *     the data directory's path with {@code .fence} appended, a sibling of the data directory)
 */
public record FenceSettings(GuardMode mode, Path dir) {

  public FenceSettings {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(dir, "dir");
  }

  /** The default directory for a data directory: {@code /var/lib/pg/data.fence}. */
  public static Path defaultDir(Path dataDir) {
    // Outside the data directory: pg_basebackup and pg_rewind must not copy or remove it.
    Path normalized = dataDir.normalize();
    return Path.of(normalized + ".fence");
  }

  /** Automatic, beside {@code dataDir}. */
  public static FenceSettings defaults(Path dataDir) {
    return new FenceSettings(GuardMode.AUTOMATIC, defaultDir(dataDir));
  }
}
