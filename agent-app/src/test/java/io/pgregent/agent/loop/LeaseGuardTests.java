package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.lease.LeaseGuard;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LeaseGuardTests {

  @Test
  void theDefaultMarginIsAFifthOfTheTtlAndAtLeastASecond() {
    assertThat(LeaseGuard.defaultMargin(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(6));
    assertThat(LeaseGuard.defaultMargin(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(2));
    assertThat(LeaseGuard.defaultMargin(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void withoutARenewalPostgresIsStoppedAtTheDeadlineNotBefore() {
    AtomicLong stoppedAt = new AtomicLong();
    try (LeaseGuard guard =
        new LeaseGuard(
            System::nanoTime, MachineTasks.INSTANCE, () -> stoppedAt.set(System.nanoTime()), "t")) {
      long sent = System.nanoTime();
      guard.renewed(sent, Duration.ofMillis(600), Duration.ofMillis(200));
      assertThat(guard.valid()).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> stoppedAt.get() != 0);
      assertThat(stoppedAt.get() - sent).isGreaterThanOrEqualTo(400_000_000L);
      assertThat(guard.valid()).isFalse();
      assertThat(guard.expiredCount()).isEqualTo(1);
    }
  }

  @Test
  void aLeaseShorterThanTwiceTheMarginKeepsHalfOfIt() {
    // A store that cut the lease (ZooKeeper's negotiated session) must not leave a deadline that
    // passed at the renewal: the margin shrinks to half the lease.
    AtomicLong stoppedAt = new AtomicLong();
    try (LeaseGuard guard =
        new LeaseGuard(
            System::nanoTime, MachineTasks.INSTANCE, () -> stoppedAt.set(System.nanoTime()), "t")) {
      long sent = System.nanoTime();
      guard.renewed(sent, Duration.ofMillis(1000), Duration.ofMillis(800));
      assertThat(guard.remaining()).hasValueSatisfying(r -> assertThat(r).isPositive());
      await().atMost(Duration.ofSeconds(5)).until(() -> stoppedAt.get() != 0);
      assertThat(stoppedAt.get() - sent).isGreaterThanOrEqualTo(500_000_000L);
      assertThat(guard.remaining()).isEmpty();
    }
  }

  @Test
  void renewalsKeepPostgresRunningAndTheDeadlineNeverMovesBack() {
    AtomicInteger stops = new AtomicInteger();
    try (LeaseGuard guard =
        new LeaseGuard(System::nanoTime, MachineTasks.INSTANCE, stops::incrementAndGet, "t")) {
      long end = System.nanoTime() + 1_500_000_000L;
      while (System.nanoTime() < end) {
        guard.renewed(System.nanoTime(), Duration.ofMillis(600), Duration.ofMillis(200));
        // An older renewal answered late must not shorten the lease we vouch for.
        guard.renewed(
            System.nanoTime() - 300_000_000L, Duration.ofMillis(600), Duration.ofMillis(200));
        await().pollDelay(Duration.ofMillis(100)).until(() -> true);
        assertThat(guard.valid()).isTrue();
      }
      assertThat(stops.get()).isZero();
    }
  }

  @Test
  void aClearedGuardStopsNothingAndTellsItsListeners() {
    AtomicInteger stops = new AtomicInteger();
    List<String> heard = new CopyOnWriteArrayList<>();
    try (LeaseGuard guard =
        new LeaseGuard(System::nanoTime, MachineTasks.INSTANCE, stops::incrementAndGet, "t")) {
      guard.addListener(
          new LeaseGuard.Listener() {
            @Override
            public void renewed(Duration remaining) {
              assertThat(remaining).isPositive().isLessThanOrEqualTo(Duration.ofMillis(400));
              heard.add("renewed");
            }

            @Override
            public void cleared() {
              heard.add("cleared");
            }
          });
      guard.renewed(System.nanoTime(), Duration.ofMillis(600), Duration.ofMillis(200));
      guard.clear();
      guard.clear();
      await().pollDelay(Duration.ofMillis(800)).until(() -> true);
      assertThat(stops.get()).isZero();
      assertThat(guard.valid()).isFalse();
      assertThat(heard).containsExactly("renewed", "cleared");
    }
  }
}
