package io.pgregent.core.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
   * The history after our promotion ended {@code promotion.timeline()}: our lineage up to it, then
   * the switch. Switches off that timeline or later ones were another primary's.
   */
  public static TimelineHistory afterPromotion(Optional<TimelineHistory> current, Entry promotion) {
    List<Entry> entries = new ArrayList<>(current.map(TimelineHistory::entries).orElse(List.of()));
    entries.removeIf(e -> e.timeline() >= promotion.timeline());
    entries.add(promotion);
    return new TimelineHistory(entries, 0);
  }

  /**
   * The history a timeline history file gives ({@code lines}: timeline, switch point and reason
   * each), keeping the timestamp and new leader the current key has for a switch it records to the
   * byte; the last switch, the one into our timeline, is {@code member}'s (our own promotion)
   * unless the key already says so. Empty when the file has no line.
   */
  public static Optional<TimelineHistory> fromTimelineFile(
      List<Entry> lines, Optional<TimelineHistory> current, String member) {
    if (lines.isEmpty()) {
      return Optional.empty();
    }
    List<Entry> known = current.map(TimelineHistory::entries).orElse(List.of());
    List<Entry> entries = new ArrayList<>();
    for (Entry line : lines) {
      entries.add(
          known.stream()
              .filter(e -> e.timeline() == line.timeline() && e.switchLsn() == line.switchLsn())
              .findFirst()
              .orElse(line));
    }
    Entry last = entries.get(entries.size() - 1);
    if (last.newLeader() != null && !last.newLeader().equals(member)) {
      // Another member left that timeline at the same point, onto a timeline numbered otherwise:
      // the switch into ours is our own promotion, not that one.
      Entry line = lines.get(lines.size() - 1);
      last = new Entry(line.timeline(), line.switchLsn(), line.reason(), null, null);
    }
    if (last.newLeader() == null) {
      entries.set(
          entries.size() - 1,
          new Entry(last.timeline(), last.switchLsn(), last.reason(), last.timestamp(), member));
    }
    return Optional.of(new TimelineHistory(entries, 0));
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
