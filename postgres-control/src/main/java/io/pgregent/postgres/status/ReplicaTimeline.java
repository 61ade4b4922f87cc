package io.pgregent.postgres.status;

import java.sql.Timestamp;
import java.util.Objects;

/**
 * A standby's timeline as far as its WAL goes. While its WAL receiver streams, PostgreSQL says
 * which timeline it receives; once the receiver stops (the primary died), only the last
 * checkpoint's and minimum recovery point's timelines are left, and these lag behind after the
 * standby followed a new primary onto a new timeline. Read then, a standby that streamed the new
 * timeline would look as if its WAL had gone past the point where that timeline forked off, and be
 * rewound for nothing. So the highest timeline seen received since the postmaster started stands
 * until the postmaster restarts (a running standby's timeline never goes back).
 */
final class ReplicaTimeline {

  private Timestamp postmasterStart;
  private int received;

  /**
   * The standby's timeline, given the postmaster's start, the timeline its WAL receiver receives (0
   * when none) and what the server's control data says.
   */
  synchronized int observe(Timestamp start, int receivedNow, int fromControlData) {
    if (!Objects.equals(start, postmasterStart)) {
      postmasterStart = start;
      received = 0;
    }
    received = Math.max(received, receivedNow);
    return Math.max(received, fromControlData);
  }
}
