package io.pgregent.agent.sim;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.InMemoryDcs;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One member's store client in the simulation: the in-memory store behind a network whose every
 * call takes simulated time each way (the request reaches the store late, the answer comes back
 * late), and the member's loop-side faults that land at a store call (a stalled loop, a pause right
 * after taking or renewing the lock).
 */
final class SimDcs implements Dcs {

  /** What the member does around each store call. */
  interface Network {
    /** One way of a call: spends simulated time on the calling thread. */
    void travel() throws InterruptedException;

    /** Before a call: waits while the loop is stalled. */
    void beforeCall() throws InterruptedException;

    /** After a call named {@code what} ("acquire", "refresh", ...) returned. */
    void afterCall(String what) throws InterruptedException;
  }

  private final InMemoryDcs store;
  private final Network network;

  SimDcs(InMemoryDcs store, Network network) {
    this.store = store;
    this.network = network;
  }

  private <T> T call(String what, Supplier<T> op) {
    try {
      network.beforeCall();
      network.travel();
      T result;
      try {
        result = op.get();
      } catch (DcsException e) {
        network.travel();
        throw e;
      }
      network.travel();
      network.afterCall(what);
      return result;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DcsException("interrupted", e);
    }
  }

  private void run(String what, Runnable op) {
    call(
        what,
        () -> {
          op.run();
          return null;
        });
  }

  @Override
  public ClusterView read() {
    return call("read", store::read);
  }

  @Override
  public String memberName() {
    return store.memberName();
  }

  @Override
  public ClusterPath path() {
    return store.path();
  }

  @Override
  public boolean tryAcquire() {
    return call("acquire", store::tryAcquire);
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    return call("refresh", () -> store.refresh(mayRecreate));
  }

  @Override
  public boolean release() {
    return call("release", store::release);
  }

  @Override
  public boolean renewSession() {
    return call("session", store::renewSession);
  }

  @Override
  public void touchMember(Member member) {
    run("member", () -> store.touchMember(member));
  }

  @Override
  public void deleteMember() {
    run("member", store::deleteMember);
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return call("write", () -> store.compareAndSet(key, expectedVersion, value));
  }

  @Override
  public void put(ClusterKey key, String value) {
    run("write", () -> store.put(key, value));
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return call("write", () -> store.compareAndDelete(key, expectedVersion));
  }

  @Override
  public long changeCount() {
    return store.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    return store.awaitChange(since, timeout);
  }

  @Override
  public void setTimings(DcsTimings timings) {
    store.setTimings(timings);
  }

  @Override
  public DcsTimings timings() {
    return store.timings();
  }

  @Override
  public void close() {
    store.close();
  }
}
