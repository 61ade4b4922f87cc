package io.pgregent.core.slots;

/**
 * A replication slot as {@code pg_replication_slots} shows it on this member.
 *
 * @param name the slot name
 * @param logical whether it is a logical slot
 * @param database its database (logical slots), else null
 * @param plugin its output plugin (logical slots), else null
 * @param restartLsn {@code restart_lsn}, 0 when null
 * @param confirmedFlushLsn {@code confirmed_flush_lsn}, 0 when null
 * @param hasXmin whether {@code xmin} is set (hot-standby feedback once received through it)
 * @param walStatus {@code wal_status}, null when unknown
 * @param active whether a consumer streams from it now
 * @param serverSynced a PostgreSQL 17 failover or synchronised slot: the server's own, left alone
 */
public record LocalSlot(
    String name,
    boolean logical,
    String database,
    String plugin,
    long restartLsn,
    long confirmedFlushLsn,
    boolean hasXmin,
    String walStatus,
    boolean active,
    boolean serverSynced) {

  public static LocalSlot physical(String name, long restartLsn) {
    return new LocalSlot(name, false, null, null, restartLsn, 0, false, "reserved", false, false);
  }

  public static LocalSlot logical(String name, String database, String plugin, long confirmed) {
    return new LocalSlot(
        name, true, database, plugin, confirmed, confirmed, false, "reserved", false, false);
  }

  /**
   * The position Patroni publishes for a slot: confirmed for logical slots, restart for physical.
   */
  public long position() {
    return logical ? confirmedFlushLsn : restartLsn;
  }

  public boolean lost() {
    return "lost".equals(walStatus);
  }
}
