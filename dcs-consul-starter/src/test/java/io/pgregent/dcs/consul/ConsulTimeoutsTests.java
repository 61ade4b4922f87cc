package io.pgregent.dcs.consul;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.dcs.DcsTimings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConsulTimeoutsTests {

  private static DcsTimings ttl(long seconds) {
    return new DcsTimings(Duration.ofSeconds(seconds), Duration.ofSeconds(5));
  }

  @Test
  void theSessionTtlIsHalfTheTtlBecauseConsulMayKeepASessionTwiceItsTtl() {
    assertThat(ConsulTimeouts.sessionTtl(ttl(30))).isEqualTo(Duration.ofSeconds(15));
    assertThat(ConsulTimeouts.sessionTtl(ttl(25))).isEqualTo(Duration.ofMillis(12500));
    assertThat(ConsulTimeouts.sessionTtl(ttl(20))).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void theSessionTtlIsNeverBelowConsulsMinimum() {
    assertThat(ConsulTimeouts.sessionTtl(ttl(10))).isEqualTo(Duration.ofSeconds(10));
    assertThat(ConsulTimeouts.sessionTtl(ttl(5))).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void durationsAreWrittenAsConsulParsesThem() {
    assertThat(ConsulTimeouts.goDuration(Duration.ofSeconds(15))).isEqualTo("15s");
    assertThat(ConsulTimeouts.goDuration(Duration.ofMillis(12500))).isEqualTo("12500ms");
    assertThat(ConsulTimeouts.goDuration(Duration.ofMillis(300))).isEqualTo("300ms");
  }

  @Test
  void aBlockingQueryIsGivenItsWaitPlusConsulsJitterOfWaitOverSixteenPlusTransit() {
    assertThat(ConsulTimeouts.jitter(Duration.ofSeconds(16))).isEqualTo(Duration.ofSeconds(1));
    assertThat(ConsulTimeouts.blockingReadTimeout(Duration.ofSeconds(16)))
        .isEqualTo(Duration.ofSeconds(18));
    assertThat(ConsulTimeouts.blockingReadTimeout(Duration.ofSeconds(10)))
        .isEqualTo(Duration.ofMillis(10_000 + 625 + 1000));
    // The jitter is rounded up, never down: a read must not give up before Consul may answer.
    assertThat(ConsulTimeouts.jitter(Duration.ofNanos(17))).isEqualTo(Duration.ofNanos(2));
  }

  @Test
  void theWaitIsWhatIsLeftCappedAtConsulsMaximum() {
    assertThat(ConsulTimeouts.blockingWait(Duration.ofMillis(1500)))
        .isEqualTo(Duration.ofMillis(1500));
    assertThat(ConsulTimeouts.blockingWait(Duration.ofHours(1))).isEqualTo(Duration.ofMinutes(10));
    assertThat(ConsulTimeouts.blockingWait(Duration.ofNanos(10))).isEqualTo(Duration.ofMillis(1));
    assertThat(ConsulTimeouts.blockingReadTimeout(ConsulTimeouts.blockingWait(Duration.ofHours(1))))
        .isEqualTo(Duration.ofMinutes(10).plusMillis(37_500).plusSeconds(1));
  }

  @Test
  void aCriticalServiceIsDroppedAfterTenSessionTtls() {
    assertThat(ConsulTimeouts.deregisterCriticalAfter(ttl(30))).isEqualTo(Duration.ofSeconds(150));
  }
}
