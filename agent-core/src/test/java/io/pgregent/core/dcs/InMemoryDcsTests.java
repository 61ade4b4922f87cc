package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.time.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the simulation relies on beyond the conformance kit (run in dcs-tck). */
class InMemoryDcsTests {

  private final FakeClock clock = new FakeClock(0);
  private final InMemoryStore store = new InMemoryStore(clock);
  private final ClusterPath path = ClusterPath.of(null, "sim");
  private final DcsTimings timings = new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(2));

  @Test
  void theLockExpiresExactlyAtTtlOnTheFakeClockAndWakesWatchers() {
    InMemoryDcs a = store.connect("a", path, timings);
    InMemoryDcs b = store.connect("b", path, timings);
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    assertThat(store.nextExpiryNanos()).contains(Duration.ofSeconds(10).toNanos());
    long since = b.changeCount();
    clock.advance(Duration.ofMillis(9_999));
    store.expire();
    assertThat(b.read().isLockedBy("a")).isTrue();
    assertThat(b.changeCount()).isEqualTo(since);
    clock.advance(Duration.ofMillis(1));
    assertThat(store.expire()).isEqualTo(1);
    assertThat(b.changeCount()).isGreaterThan(since);
    assertThat(b.read().leader()).isEmpty();
  }

  @Test
  void aCutMemberFailsAsUnreachableWhileOthersGoOnAndItsLeaseRunsOut() {
    InMemoryDcs a = store.connect("a", path, timings);
    InMemoryDcs b = store.connect("b", path, timings);
    a.renewSession();
    a.tryAcquire();
    store.cut("a");
    assertThatThrownBy(a::renewSession).isInstanceOf(DcsUnreachableException.class);
    assertThatThrownBy(a::read).isInstanceOf(DcsUnreachableException.class);
    clock.advance(Duration.ofSeconds(10));
    b.renewSession();
    assertThat(b.tryAcquire()).isTrue();
    store.restore("a");
    assertThat(a.renewSession()).as("the old lease had expired").isFalse();
    assertThat(a.refresh()).isFalse();
    assertThat(a.read().isLockedBy("b")).isTrue();
  }

  @Test
  void aNewTtlMovesTheLockAndMemberKeyOntoALeaseOfThatLength() {
    InMemoryDcs a = store.connect("a", path, timings);
    a.renewSession();
    a.tryAcquire();
    a.setTimings(new DcsTimings(Duration.ofSeconds(30), Duration.ofSeconds(2)));
    assertThat(a.renewSession()).isTrue();
    clock.advance(Duration.ofSeconds(20));
    assertThat(a.read().isLockedBy("a")).isTrue();
    clock.advance(Duration.ofSeconds(10));
    assertThat(a.read().leader()).isEmpty();
  }
}
