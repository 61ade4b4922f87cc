package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChangeCounterTests {

  @Test
  void aBumpWakesAWaiter() throws Exception {
    ChangeCounter counter = new ChangeCounter();
    long since = counter.changeCount();
    CompletableFuture<Boolean> woke =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return counter.awaitChange(since, Duration.ofSeconds(30));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    counter.bump();
    assertThat(woke.get(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aChangeBeforeTheWaitIsNotMissed() throws Exception {
    ChangeCounter counter = new ChangeCounter();
    long since = counter.changeCount();
    counter.bump();
    assertThat(counter.awaitChange(since, Duration.ZERO)).isTrue();
    assertThat(counter.awaitChange(counter.changeCount(), Duration.ofMillis(20))).isFalse();
  }
}
