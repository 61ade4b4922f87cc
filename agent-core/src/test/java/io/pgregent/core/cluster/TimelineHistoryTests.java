package io.pgregent.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code history} key as a promotion and a leader's timeline history file make it. */
class TimelineHistoryTests {

  private static final String REASON = "no recovery target specified";

  private static TimelineHistory.Entry line(long timeline, long lsn) {
    return new TimelineHistory.Entry(timeline, lsn, REASON, null, null);
  }

  private static TimelineHistory.Entry by(long timeline, long lsn, String member) {
    return new TimelineHistory.Entry(timeline, lsn, REASON, "2026-12-04T10:00:00Z", member);
  }

  @Test
  void aPromotionDropsTheSwitchesOfTimelinesItDidNotDescendFrom() {
    TimelineHistory key = new TimelineHistory(List.of(by(1, 100, "a"), by(2, 200, "b")), 7);

    TimelineHistory next = TimelineHistory.afterPromotion(Optional.of(key), by(2, 150, "c"));

    assertThat(next.entries()).containsExactly(by(1, 100, "a"), by(2, 150, "c"));
    assertThat(TimelineHistory.afterPromotion(Optional.empty(), by(1, 100, "a")).entries())
        .containsExactly(by(1, 100, "a"));
  }

  @Test
  void theFileDecidesEverySwitchPointAndTheKeyKeepsWhatItKnewOfTheSameOnes() {
    TimelineHistory key = new TimelineHistory(List.of(by(1, 100, "a"), by(2, 250, "b")), 7);

    Optional<TimelineHistory> next =
        TimelineHistory.fromTimelineFile(
            List.of(line(1, 100), line(2, 200)), Optional.of(key), "me");

    // timeline 2 ended elsewhere in the key: another lineage's switch, replaced by ours
    assertThat(next.orElseThrow().entries())
        .containsExactly(by(1, 100, "a"), new TimelineHistory.Entry(2, 200, REASON, null, "me"));
  }

  @Test
  void anEmptyFileGivesNoHistory() {
    assertThat(TimelineHistory.fromTimelineFile(List.of(), Optional.empty(), "me")).isEmpty();
  }
}
