package io.pgregent.postgres;

import io.pgregent.postgres.os.CommandResult;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sends the WAL file of the last (shutdown) checkpoint to the archive with the configured {@code
 * archive_command}, run in the data directory with {@code %p} and {@code %f} filled in as
 * PostgreSQL's archiver fills them in.
 */
final class ShutdownWalArchiver {

  private ShutdownWalArchiver() {}

  /** Whether it archived: not when archiving is off or the control data names no such file. */
  static boolean archive(LocalNode node, ServerConfiguration config) {
    Map<String, String> p = config.effectiveParameters();
    String mode = p.getOrDefault("archive_mode", "off").strip().toLowerCase(Locale.ROOT);
    String command = p.getOrDefault("archive_command", "").strip();
    if (!(mode.equals("on") || mode.equals("always")) || command.isEmpty()) {
      return false;
    }
    String file = node.controlData().fields().getOrDefault("Latest checkpoint's REDO WAL file", "");
    if (file.isEmpty()) {
      return false;
    }
    StringBuilder cmd = new StringBuilder();
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      char next = i + 1 < command.length() ? command.charAt(i + 1) : 0;
      if (c == '%' && (next == 'p' || next == 'f' || next == '%')) {
        cmd.append(next == 'p' ? "pg_wal/" + file : next == 'f' ? file : "%");
        i++;
      } else {
        cmd.append(c);
      }
    }
    CommandResult r =
        node.runner.run(
            List.of("/bin/sh", "-c", "cd '" + node.dataDir + "' && " + cmd),
            Map.of(),
            node.settings.pgCtlTimeout());
    if (!r.succeeded()) {
      throw new PostgresException("archiving " + file + " failed: " + r.outputTail(3));
    }
    return true;
  }
}
