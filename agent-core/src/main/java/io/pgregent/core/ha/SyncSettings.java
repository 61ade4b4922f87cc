package io.pgregent.core.ha;

import java.util.Objects;

/**
 * Synchronous replication as the cluster-wide configuration asks for it.
 *
 * @param mode {@code synchronous_mode}: off, on ({@code true}) or {@code quorum}
 * @param nodeCount {@code synchronous_node_count}: how many standbys must confirm a commit (≥ 1)
 * @param strict {@code synchronous_mode_strict}: with no standby, commits wait rather than fall
 *     back to asynchronous replication
 * @param maximumLagOnSyncnode {@code maximum_lag_on_syncnode}: bytes a synchronous standby may lag
 *     behind the primary before it is replaced, -1 for no limit
 */
public record SyncSettings(Mode mode, int nodeCount, boolean strict, long maximumLagOnSyncnode) {

  /** {@code synchronous_mode}. */
  public enum Mode {
    OFF,
    ON,
    QUORUM
  }

  /** Asynchronous replication, Patroni's default. */
  public static final SyncSettings OFF = new SyncSettings(Mode.OFF, 1, false, -1);

  public SyncSettings {
    Objects.requireNonNull(mode, "mode");
    nodeCount = Math.max(1, nodeCount);
  }

  public boolean enabled() {
    return mode != Mode.OFF;
  }
}
