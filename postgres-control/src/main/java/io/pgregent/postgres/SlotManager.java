package io.pgregent.postgres;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.PostgresQueryException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The replication slots on the local server: members', permanent and cascading ones. */
final class SlotManager {

  private static final Logger log = LoggerFactory.getLogger(SlotManager.class);

  private final LocalNode node;
  private final ServerConfiguration config;

  SlotManager(LocalNode node, ServerConfiguration config) {
    this.node = node;
    this.config = config;
  }

  Set<String> syncReplicationSlots(Set<String> members, Map<String, Long> cascading) {
    DynamicPostgresConfig dynamic = config.dynamic();
    Set<String> desired = new LinkedHashSet<>();
    if (!dynamic.useSlots()) {
      return desired;
    }
    String self = SlotNames.forMember(node.settings.name());
    members.stream().map(SlotNames::forMember).filter(s -> !s.equals(self)).forEach(desired::add);
    desired.addAll(dynamic.permanentPhysicalSlots());
    // One round trip per HA cycle: the physical slots, and a NULL row on a standby.
    List<String> existing =
        new java.util.ArrayList<>(
            node.client.queryStrings(
                "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'"
                    + " UNION ALL SELECT NULL WHERE pg_is_in_recovery()"));
    if (existing.remove(null)) {
      // The standby leader of a standby cluster keeps the slots its standbys stream through.
      createAndDropPhysicalSlots(desired, existing);
      return desired;
    }
    createAndDropPhysicalSlots(desired, existing);
    createPermanentLogicalSlots(dynamic);
    cascading.forEach(
        (member, lsn) -> {
          String slot = SlotNames.forMember(member);
          if (lsn > 0 && desired.contains(slot)) {
            node.client.queryStrings(
                "SELECT pg_replication_slot_advance(slot_name, LEAST(?::pg_lsn,"
                    + " pg_current_wal_lsn()))::text FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active AND restart_lsn IS NOT NULL"
                    + " AND restart_lsn < LEAST(?::pg_lsn, pg_current_wal_lsn())",
                SlotOperations.lsnText(lsn),
                slot,
                SlotOperations.lsnText(lsn));
          }
        });
    return desired;
  }

  /**
   * On a primary: creates the permanent logical slots missing here, once {@code wal_level} is
   * {@code logical} (each in its database). Logical slots are never dropped: others may be managed
   * by someone else.
   */
  private void createPermanentLogicalSlots(DynamicPostgresConfig dynamic) {
    if (dynamic.permanentLogicalSlots().isEmpty()) {
      return;
    }
    List<String> existing =
        node.client.queryStrings(
            "SELECT slot_name FROM pg_replication_slots WHERE current_setting('wal_level') ="
                + " 'logical' AND NOT pg_is_in_recovery() UNION ALL SELECT NULL WHERE"
                + " current_setting('wal_level') <> 'logical' OR pg_is_in_recovery()");
    if (existing.contains(null)) {
      return;
    }
    PostgresSettings settings = node.settings;
    dynamic
        .permanentLogicalSlots()
        .forEach(
            (name, slot) -> {
              if (existing.contains(name)) {
                return;
              }
              try {
                PostgresClient.once(
                    settings.localHost(),
                    settings.port(),
                    settings.localSocketDirectory().orElse(null),
                    slot.get("database"),
                    settings.superuser(),
                    settings.connectTimeout(),
                    settings.pgCtlTimeout(),
                    c -> {
                      try (var ps =
                          c.prepareStatement(
                              "SELECT slot_name FROM pg_create_logical_replication_slot(?, ?)")) {
                        ps.setString(1, name);
                        ps.setString(2, slot.get("plugin"));
                        ps.executeQuery().close();
                      }
                      return null;
                    });
                log.info("created logical replication slot {}", name);
              } catch (PostgresQueryException ex) {
                node.warnOnce(
                    "cannot create the permanent logical slot " + name + ": " + ex.getMessage());
              }
            });
  }

  Map<String, Long> slotPositions() {
    Map<String, Long> out = new TreeMap<>();
    for (String row :
        node.client.queryStrings(
            "SELECT slot_name || '|' || (COALESCE(confirmed_flush_lsn, restart_lsn) - '0/0')"
                + "::bigint FROM pg_replication_slots"
                + " WHERE COALESCE(confirmed_flush_lsn, restart_lsn) IS NOT NULL")) {
      int bar = row.lastIndexOf('|');
      out.put(row.substring(0, bar), Long.parseLong(row.substring(bar + 1)));
    }
    return out;
  }

  void syncCascadingSlots(Set<String> members) {
    if (!config.dynamic().useSlots()) {
      return;
    }
    Set<String> desired = new LinkedHashSet<>();
    members.stream().map(SlotNames::forMember).forEach(desired::add);
    List<String> existing =
        node.client.queryStrings(
            "SELECT slot_name FROM pg_replication_slots"
                + " WHERE slot_type = 'physical' AND pg_is_in_recovery()"
                + " UNION ALL SELECT NULL WHERE NOT pg_is_in_recovery()");
    if (existing.contains(null)) {
      return;
    }
    createAndDropPhysicalSlots(desired, existing);
  }

  private void createAndDropPhysicalSlots(Set<String> desired, List<String> existing) {
    for (String slot : desired) {
      if (!existing.contains(slot)) {
        node.client.queryStrings(
            "SELECT slot_name::text FROM pg_create_physical_replication_slot(?, true)", slot);
        log.info("created physical replication slot {}", slot);
      }
    }
    for (String slot : existing) {
      if (!desired.contains(slot)) {
        List<String> dropped =
            node.client.queryStrings(
                "SELECT pg_drop_replication_slot(slot_name)::text FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active",
                slot);
        if (!dropped.isEmpty()) {
          log.info("dropped physical replication slot {}", slot);
        }
      }
    }
  }

  List<String> physicalSlots() {
    return node.client.queryStrings(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY 1");
  }
}
