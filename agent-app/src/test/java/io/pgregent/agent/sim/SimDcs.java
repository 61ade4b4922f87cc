package io.pgregent.agent.sim;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.ForwardingDcs;
import io.pgregent.core.dcs.InMemoryDcs;
import java.util.function.Supplier;

/**
 * One member's store client in the simulation: the in-memory store behind a network whose every
 * call takes simulated time each way (the request reaches the store late, the answer comes back
 * late), and the member's loop-side faults that land at a store call (a stalled loop, a pause right
 * after taking or renewing the lock).
 */
final class SimDcs extends ForwardingDcs {

  /** What the member does around each store call. */
  interface Network {
    /** One way of a call: spends simulated time on the calling thread. */
    void travel() throws InterruptedException;

    /** Before a call: waits while the loop is stalled. */
    void beforeCall() throws InterruptedException;

    /** After a call named {@code what} ("acquire", "refresh", ...) returned. */
    void afterCall(String what) throws InterruptedException;
  }

  private final Network network;

  SimDcs(InMemoryDcs store, Network network) {
    super(store);
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
    return call("read", super::read);
  }

  @Override
  public boolean tryAcquire() {
    return call("acquire", super::tryAcquire);
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    return call("refresh", () -> super.refresh(mayRecreate));
  }

  @Override
  public boolean release() {
    return call("release", super::release);
  }

  @Override
  public boolean renewSession() {
    return call("session", super::renewSession);
  }

  @Override
  public void touchMember(Member member) {
    run("member", () -> super.touchMember(member));
  }

  @Override
  public void deleteMember() {
    run("member", super::deleteMember);
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return call("write", () -> super.compareAndSet(key, expectedVersion, value));
  }

  @Override
  public void put(ClusterKey key, String value) {
    run("write", () -> super.put(key, value));
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return call("write", () -> super.compareAndDelete(key, expectedVersion));
  }
}
