package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A member never both vouches for a failsafe primary and races for the lock: whichever comes first
 * excludes the other.
 */
class FailsafeHeartbeatsTests {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aMemberThatClaimedTheRaceRefusesHeartbeatsUntilItNoLongerHoldsTheLock() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    assertThat(h.claim(100 * SECOND, 9 * SECOND)).isTrue();
    assertThat(h.accept(101 * SECOND)).as("racing: refuse").isFalse();
    h.holdsLock(true);
    assertThat(h.accept(102 * SECOND)).as("took the lock: refuse").isFalse();
    h.holdsLock(false);
    assertThat(h.accept(103 * SECOND)).as("lost it again: accept").isTrue();
    assertThat(h.last()).hasValue(103 * SECOND);
  }

  @Test
  void anAcceptedHeartbeatStopsAClaimForItsWholeValidity() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    assertThat(h.accept(100 * SECOND)).isTrue();
    assertThat(h.claim(108 * SECOND, 9 * SECOND)).isFalse();
    assertThat(h.accept(108 * SECOND)).as("the failed claim claimed nothing").isTrue();
    assertThat(h.claim(117 * SECOND, 9 * SECOND)).isTrue();
  }

  @Test
  void outsideFailsafeModeOldHeartbeatsDoNotStopTheRace() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    h.accept(100 * SECOND);
    assertThat(h.claim(100 * SECOND, 0)).isTrue();
  }
}
