package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One member's client of an {@link InMemoryStore}, laid out as Patroni's keys under {@link
 * ClusterPath}: the member key and the leader lock are bound to the member's lease, renewed only by
 * {@link #renewSession()}, as with etcd. For unit tests (a fast store) and the simulation (leases
 * expire in simulated time).
 *
 * <p>{@link #awaitChange} blocks in real time, for tests with threads, or in simulated time when
 * connected with a simulated thread's signal ({@link io.pgregent.core.sim.SimThreads}); the model
 * agents of the simulation never call it: they read {@link #changeCount()} and schedule the wake-up
 * themselves.
 */
public final class InMemoryDcs extends StoreDcs {

  private final InMemoryStore store;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes;
  private long lease;
  private long leaseTtlNanos;
  private String lastMemberValue;
  private long lastMemberLease;

  InMemoryDcs(
      InMemoryStore store,
      String member,
      ClusterPath path,
      DcsTimings timings,
      ChangeCounter changes) {
    super(path, member, timings);
    this.store = store;
    this.changes = changes;
    this.assembler = new ClusterViewAssembler(path);
    store.watch(member, path, changes);
  }

  @Override
  public ClusterView read() {
    List<RawNode> nodes = new ArrayList<>();
    ClusterView view;
    synchronized (store) {
      store.check(member);
      view = store.cachedView(path.prefix()).orElse(null);
      if (view == null) {
        for (Map.Entry<String, InMemoryStore.Entry> e : store.range(path.prefix()).entrySet()) {
          InMemoryStore.Entry v = e.getValue();
          nodes.add(new RawNode(path.relative(e.getKey()), v.value(), v.version()));
        }
        view = assembler.assemble(nodes);
        store.cacheView(path.prefix(), store.revision(), view);
      }
      store.answered(member);
    }
    return keepingMemberKey(view);
  }

  @Override
  protected synchronized void forgetMemberValue() {
    lastMemberValue = null;
  }

  // ---- session ----

  @Override
  public synchronized boolean renewSession() {
    synchronized (store) {
      store.check(member);
      long wantTtl = timings().ttl().toNanos();
      if (lease == 0) {
        grant(wantTtl);
        return true;
      }
      if (wantTtl != leaseTtlNanos && store.leaseAlive(lease)) {
        // A new ttl: move our keys onto a lease of the new length.
        long old = lease;
        grant(wantTtl);
        if (lastMemberValue != null) {
          putMember(lastMemberValue);
        }
        String leaderKey = path.key(ClusterKey.LEADER);
        store
            .get(leaderKey)
            .filter(e -> e.lease() == old)
            .ifPresent(e -> store.put(leaderKey, member, lease));
        store.revoke(old);
        return true;
      }
      if (store.keepAlive(lease)) {
        return true;
      }
      grant(wantTtl);
      return false;
    }
  }

  private void grant(long ttlNanos) {
    lease = store.grant(ttlNanos);
    leaseTtlNanos = ttlNanos;
  }

  private long currentLease() {
    if (lease == 0 || !store.leaseAlive(lease)) {
      grant(timings().ttl().toNanos());
    }
    return lease;
  }

  // ---- leader lock ----

  @Override
  public synchronized boolean tryAcquire() {
    return reach(
        () -> {
          String key = path.key(ClusterKey.LEADER);
          long id = currentLease();
          if (store.compareAndPut(key, 0, member, id) > 0) {
            return true;
          }
          return store.get(key).map(e -> e.value().equals(member) && e.lease() == id).orElse(false);
        });
  }

  @Override
  public synchronized boolean refresh(boolean mayRecreate) {
    return reach(
        () -> {
          String key = path.key(ClusterKey.LEADER);
          long id = currentLease();
          var current = store.get(key);
          if (current.isEmpty()) {
            return mayRecreate && store.compareAndPut(key, 0, member, id) > 0;
          }
          if (!current.get().value().equals(member)) {
            return false;
          }
          if (current.get().lease() != id) {
            store.put(key, member, id);
          }
          return true;
        });
  }

  @Override
  public synchronized boolean release() {
    return reach(
        () -> {
          String key = path.key(ClusterKey.LEADER);
          var current = store.get(key);
          return current.isPresent()
              && current.get().value().equals(member)
              && store.compareAndDelete(key, current.get().version());
        });
  }

  // ---- other keys ----

  @Override
  public synchronized void touchMember(Member data) {
    String value = ClusterCodec.encode(data);
    synchronized (store) {
      store.check(member);
      long id = currentLease();
      if (value.equals(lastMemberValue) && lastMemberLease == id) {
        return;
      }
      putMember(value);
    }
  }

  private void putMember(String value) {
    store.put(path.memberKey(member), value, lease);
    lastMemberValue = value;
    lastMemberLease = lease;
  }

  @Override
  public synchronized void deleteMember() {
    reach(
        () -> {
          store.delete(path.memberKey(member));
          lastMemberValue = null;
          return null;
        });
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return reach(() -> store.compareAndPut(path.key(key), expectedVersion, value, 0) > 0);
  }

  @Override
  public void put(ClusterKey key, String value) {
    reach(() -> store.put(path.key(key), value, 0));
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return reach(() -> store.compareAndDelete(path.key(key), expectedVersion));
  }

  /** {@code op} under the store's lock, once the store is reachable for this member. */
  private <T> T reach(Supplier<T> op) {
    synchronized (store) {
      store.check(member);
      T result = op.get();
      store.answered(member);
      return result;
    }
  }

  // ---- changes ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    return changes.awaitChange(since, timeout);
  }

  /** Drops the watch; the lease is left to expire, as a closed client's would. */
  @Override
  public void close() {
    store.unwatch(changes);
  }
}
