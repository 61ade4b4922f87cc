package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.ForwardingDcs;
import io.pgregent.core.dcs.InMemoryStore;
import io.pgregent.core.time.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The leader lock is kept only on a renewal the lease still vouches for. Found by the simulation
 * (loop seeds 5037, 5502): a loop froze inside its refresh, after it had judged that it might bring
 * back a vanished key; the store applied the refresh half a minute later, when the lease had lapsed
 * and another member had led and lost the lock in between, and the member led again on data without
 * the commits acknowledged meanwhile.
 */
class LockKeeperTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(3));

  private final FakeClock clock = new FakeClock(0);
  private final InMemoryStore store = new InMemoryStore(clock);
  private final ClusterPath path = ClusterPath.of("/service", "lock");
  private final LeaseHooks hooks = new LeaseHooks();
  private final LoopState state = new LoopState();

  /** pg0's client; {@link #duringRefresh} runs inside its refresh, before the store applies it. */
  private Runnable duringRefresh = () -> {};

  private final Dcs pg0 =
      new ForwardingDcs(store.connect("pg0", path, TIMINGS)) {
        @Override
        public boolean refresh(boolean mayRecreate) {
          duringRefresh.run();
          return super.refresh(mayRecreate);
        }
      };

  private final LockKeeper keeper = new LockKeeper(pg0, state, hooks, clock);

  @Test
  void aRefreshTheStoreAppliesAfterTheLeaseLapsedDoesNotTakeTheLockBack() {
    hooks.leaseHeld = true;
    assertThat(keeper.acquire()).isTrue();
    Dcs pg1 = store.connect("pg1", path, TIMINGS);
    duringRefresh =
        () -> {
          // Frozen past the lease: the store lets it lapse, pg1 leads and loses the lock too.
          clock.advance(Duration.ofSeconds(11));
          store.expire();
          pg1.renewSession();
          assertThat(pg1.tryAcquire()).isTrue();
          clock.advance(Duration.ofSeconds(11));
          store.expire();
          hooks.leaseHeld = false;
        };

    assertThat(keeper.refresh()).isFalse();
    assertThat(state.holdsLock).isFalse();
    assertThat(store.get(path.key(ClusterKey.LEADER))).isEmpty();
  }

  @Test
  void aLockTakenByACallThatOutlivedItsLeaseIsGivenBack() {
    // The acquisition returned after the lease it renewed would have run out (a freeze, a stall).
    hooks.leaseHeld = false;

    assertThat(keeper.acquire()).isFalse();
    assertThat(state.holdsLock).isFalse();
    assertThat(store.get(path.key(ClusterKey.LEADER))).isEmpty();
  }

  /**
   * Found by the simulation (loop-failsafe seed 668): a standby's loop stalled in the leader race
   * past its lease; its member key lapsed, the leader dropped it from the failsafe topology and,
   * cut from the store, stayed primary asking nobody. The standby's cycle went on with the view
   * from before the stall and took the lapsed lock beside that primary. A lapsed lease now stops
   * the acquisition: the next cycle decides on a fresh view.
   */
  @Test
  void noLockIsTakenInTheCycleThatFindsOurLeaseLapsed() {
    hooks.leaseHeld = true;
    pg0.renewSession();
    clock.advance(Duration.ofSeconds(11));
    store.expire();

    assertThat(keeper.acquire()).isFalse();
    assertThat(state.holdsLock).isFalse();
    assertThat(store.get(path.key(ClusterKey.LEADER))).isEmpty();
    // With the lease renewed, the next cycle may race.
    assertThat(keeper.acquire()).isTrue();
  }

  @Test
  void aKeyThatVanishedWhileTheLeaseHoldsIsBroughtBack() {
    hooks.leaseHeld = true;
    assertThat(keeper.acquire()).isTrue();
    assertThat(pg0.release()).isTrue();

    assertThat(keeper.refresh()).isTrue();
    assertThat(state.holdsLock).isTrue();
    assertThat(store.get(path.key(ClusterKey.LEADER)).orElseThrow().value()).isEqualTo("pg0");
  }

  @Test
  void aLapsedLeaseDoesNotBringBackAVanishedKey() {
    hooks.leaseHeld = true;
    assertThat(keeper.acquire()).isTrue();
    clock.advance(Duration.ofSeconds(11));
    store.expire();
    hooks.leaseHeld = false;

    assertThat(keeper.refresh()).isFalse();
    assertThat(store.get(path.key(ClusterKey.LEADER))).isEmpty();
  }
}
