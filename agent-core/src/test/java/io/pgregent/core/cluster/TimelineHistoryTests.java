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

  /**
   * Simulation seed 28540: two members left timeline 7 at one point, onto timelines 8 and 9 (the
   * second numbered past the first). The key's switch out of 7 names the first; the leader on 9
   * records its own, or members never see that the leader wrote the switch into its timeline.
   */
  @Test
  void theSwitchIntoOurTimelineIsOursEvenWhereAnotherLeftTheSameTimelineAtTheSamePoint() {
    TimelineHistory key = new TimelineHistory(List.of(by(6, 100, "a"), by(7, 200, "b")), 7);

    Optional<TimelineHistory> next =
        TimelineHistory.fromTimelineFile(
            List.of(line(6, 100), line(7, 200)), Optional.of(key), "me");

    assertThat(next.orElseThrow().entries())
        .containsExactly(by(6, 100, "a"), new TimelineHistory.Entry(7, 200, REASON, null, "me"));
    // Where the key names us already, it stays as it is.
    TimelineHistory ours = new TimelineHistory(List.of(by(6, 100, "a"), by(7, 200, "me")), 8);
    assertThat(
            TimelineHistory.fromTimelineFile(
                    List.of(line(6, 100), line(7, 200)), Optional.of(ours), "me")
                .orElseThrow()
                .entries())
        .containsExactly(by(6, 100, "a"), by(7, 200, "me"));
  }

  @Test
  void anEmptyFileGivesNoHistory() {
    assertThat(TimelineHistory.fromTimelineFile(List.of(), Optional.empty(), "me")).isEmpty();
  }
}
