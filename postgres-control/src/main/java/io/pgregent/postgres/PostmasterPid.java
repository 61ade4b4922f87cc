package io.pgregent.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The contents of {@code postmaster.pid}: PostgreSQL's lock file, which also tells whether the
 * postmaster that wrote it still lives.
 *
 * @param pid the postmaster's pid
 * @param dataDir the data directory it was started on
 * @param port its port
 */
public record PostmasterPid(long pid, String dataDir, int port) {

  /** The lock file of {@code dataDir}, if present and readable. */
  public static Optional<PostmasterPid> read(Path dataDir) {
    Path file = dataDir.resolve("postmaster.pid");
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty()) {
        return Optional.empty();
      }
      long pid = Long.parseLong(lines.get(0).strip());
      String dir = lines.size() > 1 ? lines.get(1).strip() : "";
      int port =
          lines.size() > 3 && !lines.get(3).isBlank() ? Integer.parseInt(lines.get(3).strip()) : 0;
      return Optional.of(new PostmasterPid(pid, dir, port));
    } catch (IOException | NumberFormatException ex) {
      return Optional.empty();
    }
  }

  /** Whether the process {@code pid} lives and is a PostgreSQL server (not a reused pid). */
  public boolean isAlive() {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return false;
    }
    try {
      String cmdline =
          Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
      return cmdline.contains("postgres") || cmdline.contains("postmaster");
    } catch (IOException ex) {
      return handle
          .get()
          .info()
          .command()
          .map(c -> c.contains("postgres") || c.contains("postmaster"))
          .orElse(true);
    }
  }
}
