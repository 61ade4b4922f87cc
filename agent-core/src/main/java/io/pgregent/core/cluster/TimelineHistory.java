package io.pgregent.core.cluster;

import java.util.List;

/**
 * The {@code history} key: one line per timeline switch.
 *
 * @param entries oldest first
 * @param version the store's version of the key
 */
public record TimelineHistory(List<Entry> entries, long version) {
  public TimelineHistory {
    entries = List.copyOf(entries);
  }

  /**
   * One timeline switch. Entries written by old agents lack the later fields, which are then null.
   *
   * @param timeline the timeline that ended
   * @param switchLsn the LSN at which it ended
   * @param reason the reason PostgreSQL recorded
   * @param timestamp ISO 8601 promotion time, or null
   * @param newLeader the member promoted, or null
   */
  public record Entry(
      long timeline, long switchLsn, String reason, String timestamp, String newLeader) {}
}
