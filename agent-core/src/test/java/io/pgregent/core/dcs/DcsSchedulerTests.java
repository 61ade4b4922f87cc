package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DcsSchedulerTests {

  private static final DcsTarget TARGET =
      new DcsTarget(
          ClusterPath.of("/service", "demo"),
          "pg0",
          new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(2)));

  @Test
  void aLentSchedulerOutlivesTheClientThatBorrowedIt() throws Exception {
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try {
      DcsScheduler lent = DcsScheduler.of(TARGET.withScheduler(owner), "unused");
      assertThat(lent.executor()).isSameAs(owner);
      lent.close();
      assertThat(owner.isShutdown()).isFalse();
      assertThat(owner.submit(() -> "still runs").get(10, TimeUnit.SECONDS))
          .isEqualTo("still runs");
    } finally {
      owner.shutdownNow();
    }
  }

  @Test
  void aClientWithoutALentSchedulerGetsOneDaemonThreadStoppedWithIt() throws Exception {
    DcsScheduler own = DcsScheduler.of(TARGET, "store-watch-pg0");
    Thread thread = own.executor().submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
    assertThat(thread.getName()).isEqualTo("store-watch-pg0");
    assertThat(thread.isDaemon()).isTrue();
    own.close();
    assertThat(own.executor().awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }
}
