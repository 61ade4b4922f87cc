package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.TimelineHistoryFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The cluster's {@code history} key: a timeline switch per promotion, repaired from pg_wal. */
final class HistoryKeeper {

  private static final Logger log = LoggerFactory.getLogger(HistoryKeeper.class);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final String member;
  private final Path dataDir;
  private final Clock clock;

  HistoryKeeper(Dcs dcs, PostgresPort postgres, String member, Path dataDir, Clock clock) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.member = member;
    this.dataDir = dataDir;
    this.clock = clock;
  }

  /**
   * Records that we promoted: timeline {@code oldTimeline} ended at {@code sampledLsn}, or to the
   * byte where the history file the promotion wrote says (members compare lineages by it).
   */
  void record(ClusterView view, long oldTimeline, long sampledLsn) {
    if (oldTimeline <= 0) {
      return;
    }
    long switchLsn = switchPoint(oldTimeline).orElse(sampledLsn);
    try {
      TimelineHistory next =
          TimelineHistory.afterPromotion(
              view.history(),
              new TimelineHistory.Entry(
                  oldTimeline,
                  switchLsn,
                  "no recovery target specified",
                  OffsetDateTime.ofInstant(Instant.ofEpochMilli(clock.wallMillis()), ZoneOffset.UTC)
                      .toString(),
                  member));
      long version = view.history().map(TimelineHistory::version).orElse(0L);
      dcs.compareAndSet(ClusterKey.HISTORY, version, ClusterCodec.encode(next));
    } catch (DcsException e) {
      log.warn("could not record the timeline switch in history: {}", e.getMessage());
    }
  }

  /**
   * Rewrites the {@code history} key from the timeline history file of PostgreSQL's current
   * timeline, keeping the timestamp and new leader of each switch the key already records.
   */
  void repair(ClusterView view) {
    int timeline = postgres.state().timeline().orElse(0);
    Path file = TimelineHistoryFile.of(dataDir, timeline);
    try {
      List<TimelineHistory.Entry> lines =
          TimelineHistoryFile.read(file).stream()
              .map(x -> new TimelineHistory.Entry(x.timeline(), x.lsn(), x.reason(), null, null))
              .toList();
      Optional<TimelineHistory> next =
          TimelineHistory.fromTimelineFile(lines, view.history(), member);
      if (next.isEmpty()) {
        return;
      }
      long version = view.history().map(TimelineHistory::version).orElse(0L);
      if (dcs.compareAndSet(ClusterKey.HISTORY, version, ClusterCodec.encode(next.get()))) {
        log.info("recorded the cluster history up to timeline {} from {}", timeline, file);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("could not repair the cluster history from {}: {}", file, e.toString());
    }
  }

  /** Where {@code oldTimeline} ended, as the newest history file (our promotion's) records it. */
  private Optional<Long> switchPoint(long oldTimeline) {
    try {
      Optional<Path> newest = TimelineHistoryFile.newest(dataDir);
      if (newest.isEmpty()) {
        return Optional.empty();
      }
      List<TimelineHistoryFile.Switch> lines = TimelineHistoryFile.read(newest.get());
      return lines.isEmpty() || lines.get(lines.size() - 1).timeline() != oldTimeline
          ? Optional.empty()
          : Optional.of(lines.get(lines.size() - 1).lsn());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
