package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When a member without the lock renews its lease: often enough that it never lapses. */
class LeaseRenewalTests {

  @ParameterizedTest(name = "ttl={0} loop_wait={1} retry_timeout={2}, {3} ms after: {4}")
  @CsvSource({
    // Patroni's defaults: every cycle.
    "30, 10, 10, 10000, true",
    "30, 10, 10, 9000, true",
    "30, 10, 10, 8999, false",
    // ttl=10/loop_wait=2: every other cycle.
    "10, 2, 4, 2000, false",
    "10, 2, 4, 2999, false",
    "10, 2, 4, 3000, true",
    "10, 2, 4, 4100, true",
    // No room to skip a cycle: always.
    "10, 5, 5, 0, true",
    "20, 10, 9, 1, true",
  })
  void renewsBeforeTheLeaseCouldLapse(
      int ttl, int loopWait, int retryTimeout, long sinceMillis, boolean due) {
    assertThat(
            MemberPublisher.renewalDue(
                Duration.ofMillis(sinceMillis).toNanos(), ttl, loopWait, retryTimeout))
        .isEqualTo(due);
  }

  @ParameterizedTest(name = "ttl={0} loop_wait={1} retry_timeout={2}")
  @CsvSource({"30, 10, 10", "10, 2, 4", "20, 5, 5", "60, 5, 10"})
  void aLeaseRenewedOnlyWhenDueOutlivesTheNextCycleAndItsRetries(
      int ttl, int loopWait, int retryTimeout) {
    // Valid settings (loop_wait + 2 retry_timeout <= ttl), cycles every loop_wait plus up to a
    // second of work; a renewal may take retry_timeout: the lease must still be alive when it
    // lands, including the one that follows a skipped cycle.
    for (long work = 0; work <= 1000; work += 250) {
      long renewedAt = 0;
      long now = 0;
      for (int cycle = 0; cycle < 50; cycle++) {
        now += Duration.ofSeconds(loopWait).toMillis() + work;
        if (MemberPublisher.renewalDue(
            Duration.ofMillis(now - renewedAt).toNanos(), ttl, loopWait, retryTimeout)) {
          assertThat(now + retryTimeout * 1000L - renewedAt)
              .as("renewal at %d ms, %d ms of work per cycle", now, work)
              .isLessThan(ttl * 1000L);
          renewedAt = now;
        } else {
          long next = now + loopWait * 1000L + work;
          assertThat(next + retryTimeout * 1000L - renewedAt)
              .as("skipped at %d ms, %d ms of work per cycle", now, work)
              .isLessThan(ttl * 1000L);
        }
      }
    }
  }

  @org.junit.jupiter.api.Test
  void aMemberThatNeverRenewedRenewsAtOnce() {
    LoopState state = new LoopState();
    long now = System.nanoTime();
    assertThat(MemberPublisher.renewalDue(now - state.sessionRenewedAtNanos, 30, 10, 10)).isTrue();
    assertThat(MemberPublisher.renewalDue(-now - state.sessionRenewedAtNanos, 30, 10, 10)).isTrue();
  }
}
