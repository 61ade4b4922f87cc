package io.pgregent.core.cluster;

import java.util.List;

/**
 * The {@code sync} key: which standbys the leader has made synchronous.
 *
 * @param leader the leader that published the state, or null
 * @param syncStandbys member names, empty when none
 * @param quorum the quorum in {@code synchronous_mode: quorum}, or null
 * @param version the store's version of the key
 */
public record SyncState(String leader, List<String> syncStandbys, Integer quorum, long version) {
  public SyncState {
    syncStandbys = List.copyOf(syncStandbys);
  }

  /** Patroni matches member names in the sync key case-insensitively. */
  public boolean isSyncStandby(String member) {
    return syncStandbys.stream().anyMatch(s -> s.equalsIgnoreCase(member));
  }
}
