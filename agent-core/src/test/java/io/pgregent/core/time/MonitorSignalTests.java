package io.pgregent.core.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MonitorSignalTests {

  private static CompletableFuture<Long> waiter(MonitorSignal signal, long timeoutNanos) {
    long seen = signal.count();
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            signal.await(seen, timeoutNanos);
            return signal.count();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void aRaiseWakesAWaiterAndATimeoutEndsTheWait() throws Exception {
    MonitorSignal signal = new MonitorSignal();
    CompletableFuture<Long> woke = waiter(signal, Duration.ofSeconds(30).toNanos());
    signal.raise();
    assertThat(woke.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(waiter(signal, Duration.ofMillis(20).toNanos()).get(30, TimeUnit.SECONDS))
        .isEqualTo(1);
  }

  @Test
  void aTimeoutTooLongForTheClockWaitsForARaise() throws Exception {
    MonitorSignal signal = new MonitorSignal();
    CompletableFuture<Long> woke = waiter(signal, Long.MAX_VALUE);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !woke.isDone());
    signal.raise();
    assertThat(woke.get(30, TimeUnit.SECONDS)).isEqualTo(1);
  }
}
