package io.pgregent.postgres;

import io.pgregent.postgres.os.OsUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks and prepares the data directory. Its contents are removed only after a failed bootstrap or
 * replica creation into a directory that was empty before, or when a setting allows it.
 */
final class DataDirectory {

  private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);

  private final Path dataDir;
  private final OsUser user;

  DataDirectory(Path dataDir, OsUser user) {
    this.dataDir = dataDir;
    this.user = user;
  }

  /** Fails unless the directory holds a cluster owned by the PostgreSQL user. */
  void checkHoldsCluster() {
    if (Files.exists(dataDir)) {
      checkOwner(dataDir);
    }
    if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
      throw new PostgresSetupException(
          "the data directory "
              + dataDir
              + " (postgresql.data_dir) holds no PostgreSQL cluster: bootstrap one or create a"
              + " replica first");
    }
  }

  private void checkOwner(Path dir) {
    try {
      if (!user.owns(dir)) {
        Object owner = Files.getAttribute(dir, "unix:uid");
        throw new PostgresSetupException(
            "the data directory "
                + dir
                + " is owned by uid "
                + owner
                + ", not by the PostgreSQL user '"
                + user.name()
                + "' (uid "
                + user.uid()
                + "): chown -R "
                + user.name()
                + " "
                + dir
                + ", or change postgresql.data_dir"
                + (user.switchUser() ? " or " + OsUser.SETTING : ""));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read the owner of " + dir, ex);
    }
  }

  void prepareEmpty(String what) {
    prepareEmpty(what, true);
  }

  /**
   * Checks that the data directory is absent or empty, and makes an absent one; unless {@code
   * create} is false and the PostgreSQL user may create it itself: a user's method then gets it
   * absent, as from Patroni (a restore that copies a whole directory into place needs that).
   */
  void prepareEmpty(String what, boolean create) {
    try {
      Path parent = dataDir.toAbsolutePath().getParent();
      if (!create && !Files.exists(dataDir) && Files.isDirectory(parent) && user.owns(parent)) {
        return;
      }
      if (Files.exists(dataDir)) {
        if (!Files.isDirectory(dataDir)) {
          throw new PostgresSetupException(
              "postgresql.data_dir " + dataDir + " is not a directory");
        }
        try (Stream<Path> s = Files.list(dataDir)) {
          if (s.findAny().isPresent()) {
            throw new PostgresSetupException(
                "cannot "
                    + what
                    + ": the data directory "
                    + dataDir
                    + " (postgresql.data_dir) is not empty, and Regent never empties it: move its"
                    + " contents away or point postgresql.data_dir elsewhere");
          }
        }
        checkOwner(dataDir);
      } else {
        Files.createDirectories(dataDir);
        user.chown(dataDir);
      }
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot prepare the data directory " + dataDir, ex);
    }
  }

  /**
   * A custom replica method creates the data directory itself, as with Patroni, which never creates
   * it first (restore tools copy a whole tree into a path that must not exist): the empty directory
   * goes, where its owner can create it again.
   */
  void leaveToMethod() {
    try {
      if (!Files.isDirectory(dataDir) || dataDir.getParent() == null) {
        return;
      }
      try (Stream<Path> s = Files.list(dataDir)) {
        if (s.findAny().isPresent()) {
          return;
        }
      }
      if (user.owns(dataDir.getParent())) {
        Files.delete(dataDir);
      }
    } catch (IOException ex) {
      log.debug("keeping the empty data directory {}: {}", dataDir, ex.getMessage());
    }
  }

  void empty() {
    // Called after a failed replica method (the directory was empty before it) and when
    // remove_data_directory_on_rewind_failure / ..._on_diverged_timelines allow it.
    try {
      if (Files.isDirectory(dataDir)) {
        try (Stream<Path> s = Files.list(dataDir)) {
          for (Path p : s.toList()) {
            deleteTree(p);
          }
        }
      } else {
        Files.createDirectories(dataDir);
      }
      user.chown(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot empty the data directory " + dataDir, ex);
    }
  }

  void remove(String allowedBy) {
    log.warn("removing the contents of {} (allowed by {})", dataDir, allowedBy);
    empty();
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> s = Files.walk(p)) {
        for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(q);
        }
      }
    } else {
      Files.deleteIfExists(p);
    }
  }
}
