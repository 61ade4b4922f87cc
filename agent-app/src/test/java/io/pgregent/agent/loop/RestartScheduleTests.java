package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The loop waits loop_wait, or less when a scheduled restart or switchover is due sooner. */
class RestartScheduleTests {

  private static final OffsetDateTime NOW =
      OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
  private static final long NOW_MILLIS = NOW.toInstant().toEpochMilli();
  private static final Duration LOOP_WAIT = Duration.ofSeconds(10);

  @Test
  void waitsLoopWaitWhenNothingIsScheduled() {
    assertThat(new RestartSchedule(() -> {}).nextWait(LOOP_WAIT, NOW_MILLIS, null))
        .isEqualTo(LOOP_WAIT);
  }

  @Test
  void wakesForTheSoonerOfARestartAndASwitchover() {
    RestartSchedule restarts = new RestartSchedule(() -> {});
    restarts.schedule(
        new ScheduledRestart(NOW.plusSeconds(3), JsonNodeFactory.instance.objectNode(), null));

    assertThat(restarts.nextWait(LOOP_WAIT, NOW_MILLIS, null)).isEqualTo(Duration.ofSeconds(3));
    assertThat(restarts.nextWait(LOOP_WAIT, NOW_MILLIS, NOW.plusSeconds(2)))
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void neverWaitsANegativeTimeForWhatIsOverdue() {
    assertThat(new RestartSchedule(() -> {}).nextWait(LOOP_WAIT, NOW_MILLIS, NOW.minusSeconds(5)))
        .isEqualTo(Duration.ZERO);
  }
}
