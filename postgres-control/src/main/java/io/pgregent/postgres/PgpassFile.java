package io.pgregent.postgres;

import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/** The password file ({@code postgresql.pgpass}) libpq reads for Regent's own connections. */
final class PgpassFile {

  private PgpassFile() {}

  /**
   * Writes the passwords of the replication, rewind and superuser roles, owner-only, atomically.
   */
  static void write(Path pgpass, OsUser owner, Credentials... credentials) {
    StringBuilder sb = new StringBuilder();
    Set<Credentials> all = new LinkedHashSet<>(Arrays.asList(credentials));
    for (Credentials c : all) {
      if (c.password() != null) {
        sb.append("*:*:*:")
            .append(escape(c.username()))
            .append(':')
            .append(escape(c.password()))
            .append('\n');
      }
    }
    try {
      Path tmp = pgpass.resolveSibling(pgpass.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
      owner.chown(tmp);
      Files.move(tmp, pgpass, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ex) {
      throw new UncheckedIOException(
          "cannot write the password file " + pgpass + " (postgresql.pgpass)", ex);
    }
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace(":", "\\:");
  }
}
