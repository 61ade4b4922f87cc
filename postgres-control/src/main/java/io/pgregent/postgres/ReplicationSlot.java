package io.pgregent.postgres;

/**
 * One row of {@code pg_replication_slots}.
 *
 * @param name {@code slot_name}
 * @param logical whether {@code slot_type} is {@code logical}
 * @param database {@code database} (logical slots), else null
 * @param plugin {@code plugin} (logical slots), else null
 * @param restartLsn {@code restart_lsn} as an integer, 0 when null
 * @param confirmedFlushLsn {@code confirmed_flush_lsn} as an integer, 0 when null
 * @param hasXmin whether {@code xmin} is set
 * @param walStatus {@code wal_status}
 * @param active {@code active}
 * @param serverSynced on PostgreSQL 17 and later, a {@code failover} slot or one the server's own
 *     slot synchronisation keeps ({@code synced}): left to the server
 */
public record ReplicationSlot(
    String name,
    boolean logical,
    String database,
    String plugin,
    long restartLsn,
    long confirmedFlushLsn,
    boolean hasXmin,
    String walStatus,
    boolean active,
    boolean serverSynced) {}
