package io.pgregent.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClockTests {

  @Test
  void theSystemClockIsMonotonicAndReadsTheWallClock() {
    Clock clock = Clock.system();
    long before = System.currentTimeMillis();
    long first = clock.nanoTime();
    assertThat(clock.nanoTime() - first).isGreaterThanOrEqualTo(0);
    assertThat(clock.wallMillis()).isBetween(before, System.currentTimeMillis());
  }

  @Test
  void aFakeClockMovesOnlyWhenToldAndItsWallClockCanJumpAlone() {
    FakeClock clock = new FakeClock(1_000);
    clock.advance(Duration.ofSeconds(2));
    assertThat(clock.nanoTime()).isEqualTo(2_000_000_000L);
    assertThat(clock.wallMillis()).isEqualTo(3_000);
    clock.jumpWall(Duration.ofHours(-1));
    assertThat(clock.nanoTime()).isEqualTo(2_000_000_000L);
    assertThat(clock.wallMillis()).isEqualTo(3_000 - 3_600_000);
  }
}
