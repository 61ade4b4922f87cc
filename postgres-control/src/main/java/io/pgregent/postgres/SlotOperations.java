package io.pgregent.postgres;

import io.pgregent.core.slots.LocalSlot;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.status.PostgresClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The replication slot statements: read, create, drop, advance, and copy from the primary. */
final class SlotOperations {

  private static final Logger log = LoggerFactory.getLogger(SlotOperations.class);

  private static final String SLOTS_SQL =
      "SELECT slot_name, slot_type, database, plugin,"
          + " COALESCE((restart_lsn - '0/0')::bigint, 0),"
          + " COALESCE((confirmed_flush_lsn - '0/0')::bigint, 0),"
          + " xmin IS NOT NULL, wal_status, active, %s FROM pg_replication_slots ORDER BY 1";

  /** PostgreSQL 17 has failover slots and synchronises them itself where configured. */
  private boolean failoverSlots() {
    return node.binaries.majorVersion() >= 17;
  }

  private final LocalNode node;
  private final ProcessControl process;

  SlotOperations(LocalNode node, ProcessControl process) {
    this.node = node;
    this.process = process;
  }

  List<LocalSlot> list() {
    return node.client.withConnection(
        c -> {
          List<LocalSlot> out = new ArrayList<>();
          try (var st = c.createStatement();
              ResultSet rs =
                  st.executeQuery(
                      String.format(SLOTS_SQL, failoverSlots() ? "failover OR synced" : "false"))) {
            while (rs.next()) {
              out.add(
                  new LocalSlot(
                      rs.getString(1),
                      "logical".equals(rs.getString(2)),
                      rs.getString(3),
                      rs.getString(4),
                      rs.getLong(5),
                      rs.getLong(6),
                      rs.getBoolean(7),
                      rs.getString(8),
                      rs.getBoolean(9),
                      rs.getBoolean(10)));
            }
          }
          return out;
        });
  }

  /** Drops the slot unless a consumer streams from it; true when it was dropped. */
  boolean drop(String name) {
    return !node.client
        .queryStrings(
            "SELECT pg_drop_replication_slot(slot_name)::text FROM pg_replication_slots"
                + " WHERE slot_name = ? AND NOT active",
            name)
        .isEmpty();
  }

  void createPhysical(String name) {
    node.client.queryStrings(
        "SELECT slot_name::text FROM pg_create_physical_replication_slot(?, true)"
            + " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)",
        name,
        name);
  }

  void advancePhysical(String name, long lsn) {
    node.client.queryStrings(
        "SELECT end_lsn::text FROM pg_replication_slot_advance(?, ?::pg_lsn)", name, lsnText(lsn));
  }

  void createLogical(String name, String database, String plugin) {
    if (!node.client
        .queryStrings("SELECT current_setting('wal_level')")
        .equals(List.of("logical"))) {
      node.warnOnce(
          "cannot create the permanent logical slot " + name + ": wal_level is not logical");
      return;
    }
    // On the primary, on the loop thread that holds the lock: bounded like any status query, and
    // tried again next cycle if it needs longer (it waits for running transactions).
    inDatabase(
        node.settings.queryTimeout(),
        database,
        "SELECT slot_name::text FROM pg_create_logical_replication_slot(?, ?)",
        name,
        plugin);
  }

  /**
   * Moves a logical slot on, on a primary or (copied there) on a replica. Returns false when the
   * copy cannot be used: the WAL it starts from is gone here, or its file is missing or unusable
   * (copy it again).
   */
  boolean advanceLogical(String name, String database, long lsn) {
    try {
      advanceLogicalOnce(name, database, lsn);
      return true;
    } catch (io.pgregent.postgres.status.PostgresQueryException e) {
      if (e.getCause() instanceof java.sql.SQLException sql
          && ("58P01".equals(sql.getSQLState()) || "55000".equals(sql.getSQLState()))) {
        log.warn("the logical slot {} must be copied again: {}", name, sql.getMessage());
        return false;
      }
      throw e;
    }
  }

  private void advanceLogicalOnce(String name, String database, long lsn) {
    inDatabase(
        node.settings.pgCtlTimeout(),
        database,
        "SELECT end_lsn::text FROM pg_replication_slot_advance(?, ?::pg_lsn)",
        name,
        lsnText(lsn));
  }

  long replayLsn() {
    List<String> v =
        node.client.queryStrings(
            "SELECT COALESCE((pg_last_wal_replay_lsn() - '0/0')::bigint, 0)::text");
    return v.isEmpty() || v.get(0) == null ? 0 : Long.parseLong(v.get(0));
  }

  /**
   * Copies logical slots from the primary onto this replica: reads each slot's state file on the
   * primary, then, with this server stopped, installs the files under {@code pg_replslot} (written
   * to a temporary directory, fsynced and renamed, as PostgreSQL itself saves slots) and starts it
   * again. PostgreSQL 15 cannot create a logical slot on a standby, so this is the only way a
   * replica holds one. A slot whose type, database or plugin differs on the primary is not copied.
   *
   * @param expected slot name to its database and plugin
   * @return the slots copied
   */
  List<String> copyFromPrimary(LeaderConnection leader, Map<String, List<String>> expected) {
    PostgresSettings s = node.settings;
    Map<String, byte[]> files = new LinkedHashMap<>();
    PostgresClient.once(
        leader.host(),
        leader.port(),
        s.rewindCredentials(),
        s.connectTimeout(),
        s.pgCtlTimeout(),
        c -> {
          // Slot state files are written at checkpoints: take one so that the copy is recent.
          try (var st = c.createStatement()) {
            st.execute("CHECKPOINT");
          } catch (java.sql.SQLException ex) {
            log.debug("CHECKPOINT on {} failed: {}", leader.name(), ex.getMessage());
          }
          try (var ps =
              c.prepareStatement(
                  "SELECT slot_name, database, plugin,"
                      + " pg_read_binary_file('pg_replslot/' || slot_name || '/state')"
                      + " FROM pg_replication_slots WHERE slot_type = 'logical'"
                      // failover slots are the server's own to synchronise (PostgreSQL 17)
                      + (failoverSlots() ? " AND NOT failover" : "")
                      + " AND NOT pg_is_in_recovery() AND slot_name = ANY(?)")) {
            ps.setArray(1, c.createArrayOf("text", expected.keySet().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                String name = rs.getString(1);
                List<String> want = expected.get(name);
                if (want.equals(List.of(rs.getString(2), rs.getString(3)))) {
                  files.put(name, rs.getBytes(4));
                } else {
                  log.warn(
                      "will not copy the logical slot {}: it is for {}/{} on the primary, not {}",
                      name,
                      rs.getString(2),
                      rs.getString(3),
                      want);
                }
              }
            }
          }
          return null;
        });
    if (files.isEmpty()) {
      return List.of();
    }
    log.info(
        "copying logical replication slots {} from {}: restarting", files.keySet(), leader.name());
    process.stop(StopMode.FAST, s.pgCtlTimeout(), false);
    try {
      Path replslot = node.dataDir.resolve("pg_replslot");
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        install(replslot, e.getKey(), e.getValue());
      }
      fsync(replslot, true);
    } finally {
      process.start(false);
    }
    return List.copyOf(files.keySet());
  }

  private void install(Path replslot, String name, byte[] state) {
    try {
      Path dir = replslot.resolve(name);
      Path tmp = replslot.resolve(name + ".tmp");
      deleteTree(tmp);
      Files.createDirectory(tmp);
      node.runner.user().chown(tmp);
      Path file = tmp.resolve("state");
      Files.write(file, state, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      node.runner.user().chown(file);
      setMode(tmp, "rwx------");
      setMode(file, "rw-------");
      fsync(file, false);
      fsync(tmp, true);
      deleteTree(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      fsync(dir, true);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot install the replication slot " + name, ex);
    }
  }

  private static void setMode(Path p, String mode) throws IOException {
    try {
      Files.setPosixFilePermissions(
          p, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: PostgreSQL checks nothing there either
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  private static void fsync(Path p, boolean directory) {
    try (FileChannel ch =
        FileChannel.open(p, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      ch.force(true);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot fsync " + p, ex);
    }
  }

  private void inDatabase(Duration timeout, String database, String sql, String... args) {
    PostgresSettings s = node.settings;
    PostgresClient.once(
        s.localHost(),
        s.port(),
        s.localSocketDirectory().orElse(null),
        database,
        s.superuser(),
        s.connectTimeout(),
        timeout,
        c -> {
          try (var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
              ps.setString(i + 1, args[i]);
            }
            ps.executeQuery().close();
          }
          return null;
        });
  }

  static String lsnText(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xffffffffL).toUpperCase(Locale.ROOT);
  }
}
