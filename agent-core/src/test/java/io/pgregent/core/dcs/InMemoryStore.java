package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The server side of an in-memory store: keys with etcd-like revisions, leases that expire on an
 * injected {@link Clock}, and the watches of its clients. It owns no thread: leases expire when the
 * store is next used or when {@link #expire()} is called, so in simulated time nothing happens
 * between two events. Thread-safe, so that tests with real threads can share it.
 *
 * <p>Faults: the whole store can be down ({@link #down()}) or one member cut off ({@link
 * #cut(String)}); calls then fail at once with {@link DcsUnreachableException} — how long a real
 * client would have retried is the caller's (the simulation's) business.
 */
public final class InMemoryStore {

  /**
   * A stored key: its value, the revision of its last write, the lease it is bound to (0: none).
   */
  public record Entry(String value, long version, long lease) {}

  private record Lease(long ttlNanos, long expiresAtNanos) {}

  private final Clock clock;
  private final TreeMap<String, Entry> keys = new TreeMap<>();
  private final Map<Long, Lease> leases = new TreeMap<>();
  private final List<Watcher> watchers = new ArrayList<>();
  private final Set<String> cut = new HashSet<>();
  private long revision;
  private long nextLease = 1;
  private boolean down;

  public InMemoryStore(Clock clock) {
    this.clock = clock;
  }

  public Clock clock() {
    return clock;
  }

  /** A client for {@code member} of the cluster at {@code path}. */
  public InMemoryDcs connect(String member, ClusterPath path, DcsTimings timings) {
    return new InMemoryDcs(this, member, path, timings, new ChangeCounter());
  }

  /** A client whose loop waits for changes through {@code changes} (a simulated thread's). */
  public InMemoryDcs connect(
      String member, ClusterPath path, DcsTimings timings, TaskRunner.Signal changes) {
    return new InMemoryDcs(this, member, path, timings, new ChangeCounter(changes));
  }

  // ---- faults ----

  /** The store answers nobody until {@link #up()}; its data and leases live on. */
  public synchronized void down() {
    down = true;
  }

  public synchronized void up() {
    down = false;
    // A client resuming its watch re-reads: wake every loop once.
    watchers.forEach(w -> w.counter.bump());
  }

  /** {@code member}'s client can no longer reach the store. */
  public synchronized void cut(String member) {
    cut.add(member);
  }

  public synchronized void restore(String member) {
    if (cut.remove(member)) {
      watchers.stream().filter(w -> w.member.equals(member)).forEach(w -> w.counter.bump());
    }
  }

  // Members whose link to the store loses calls: the chance a request, or an answer, is lost.
  private final Map<String, Double> lossy = new java.util.HashMap<>();
  private java.util.SplittableRandom losses;

  /**
   * {@code member}'s link to the store loses each request, and each answer, with probability {@code
   * p} (drawn from {@code random}): a call then fails, applied or not.
   */
  public synchronized void lossy(String member, double p, java.util.SplittableRandom random) {
    lossy.put(member, p);
    losses = random;
  }

  public synchronized void reliable(String member) {
    lossy.remove(member);
  }

  synchronized void check(String member) {
    if (down || cut.contains(member) || lost(member)) {
      throw new DcsUnreachableException(
          "in-memory:" + member, "store unreachable for " + member, null);
    }
    expire();
  }

  /** After a call was applied: its answer may be lost on the way back. */
  synchronized void answered(String member) {
    if (lost(member)) {
      throw new DcsUnreachableException(
          "in-memory:" + member, "the store's answer to " + member + " was lost", null);
    }
  }

  private boolean lost(String member) {
    Double p = lossy.get(member);
    return p != null && losses.nextDouble() < p;
  }

  // ---- views ----

  private record CachedView(long revision, ClusterView view) {}

  // The last view assembled per cluster prefix: unchanged until the next write (the simulation
  // reads far more often than anything changes, and decoding every key each time dominates it).
  private final Map<String, CachedView> views = new java.util.HashMap<>();

  synchronized Optional<ClusterView> cachedView(String prefix) {
    CachedView c = views.get(prefix);
    return c != null && c.revision() == revision ? Optional.of(c.view()) : Optional.empty();
  }

  synchronized long revision() {
    return revision;
  }

  synchronized void cacheView(String prefix, long atRevision, ClusterView view) {
    views.put(prefix, new CachedView(atRevision, view));
  }

  // ---- time ----

  /** Deletes the keys of every lease whose ttl has run out on the clock; returns how many. */
  public synchronized int expire() {
    long now = clock.nanoTime();
    List<Long> gone = new ArrayList<>();
    for (Map.Entry<Long, Lease> e : leases.entrySet()) {
      if (now - e.getValue().expiresAtNanos() >= 0) {
        gone.add(e.getKey());
      }
    }
    gone.forEach(this::revoke);
    return gone.size();
  }

  /** When the next lease runs out (monotonic nanos), for a scheduler; empty without leases. */
  public synchronized Optional<Long> nextExpiryNanos() {
    return leases.values().stream().map(Lease::expiresAtNanos).min(Long::compare);
  }

  /**
   * When the lease {@code key} is bound to runs out (monotonic nanos), whether or not {@link
   * #expire()} has run since: empty when the key is absent or bound to no lease.
   */
  public synchronized OptionalLong leaseExpiry(String key) {
    Entry e = keys.get(key);
    Lease l = e == null ? null : leases.get(e.lease());
    return l == null ? OptionalLong.empty() : OptionalLong.of(l.expiresAtNanos());
  }

  synchronized long grant(long ttlNanos) {
    long id = nextLease++;
    leases.put(id, new Lease(ttlNanos, clock.nanoTime() + ttlNanos));
    return id;
  }

  /** Renews a lease; false if it has already expired. */
  synchronized boolean keepAlive(long id) {
    Lease l = leases.get(id);
    if (l == null) {
      return false;
    }
    leases.put(id, new Lease(l.ttlNanos(), clock.nanoTime() + l.ttlNanos()));
    return true;
  }

  synchronized boolean leaseAlive(long id) {
    return leases.containsKey(id);
  }

  /** Ends a lease and deletes the keys bound to it. */
  synchronized void revoke(long id) {
    leases.remove(id);
    List<String> bound = new ArrayList<>();
    keys.forEach(
        (k, v) -> {
          if (v.lease() == id) {
            bound.add(k);
          }
        });
    bound.forEach(this::delete);
  }

  // ---- keys ----

  public synchronized Optional<Entry> get(String key) {
    return Optional.ofNullable(keys.get(key));
  }

  /** Every key under {@code prefix}, in key order. */
  public synchronized TreeMap<String, Entry> range(String prefix) {
    return new TreeMap<>(keys.subMap(prefix, prefix + Character.MAX_VALUE));
  }

  /** Writes as an operator or another tool would: no lease, no condition. */
  public synchronized void writeRaw(String key, String value) {
    put(key, value, 0);
  }

  synchronized long put(String key, String value, long lease) {
    Entry old = keys.put(key, new Entry(value, ++revision, lease));
    notify(key, old == null);
    return revision;
  }

  synchronized boolean delete(String key) {
    if (keys.remove(key) == null) {
      return false;
    }
    revision++;
    notify(key, true);
    return true;
  }

  /**
   * Writes when the key's version is {@code expected} (0: absent); returns the new version or 0.
   */
  synchronized long compareAndPut(String key, long expected, String value, long lease) {
    Entry e = keys.get(key);
    long current = e == null ? 0 : e.version();
    return current == expected ? put(key, value, lease) : 0;
  }

  synchronized boolean compareAndDelete(String key, long expected) {
    Entry e = keys.get(key);
    return e != null && e.version() == expected && delete(key);
  }

  // ---- watches ----

  private record Watcher(String member, ClusterPath path, ChangeCounter counter) {}

  synchronized void watch(String member, ClusterPath path, ChangeCounter counter) {
    watchers.add(new Watcher(member, path, counter));
  }

  synchronized void unwatch(ChangeCounter counter) {
    watchers.removeIf(w -> w.counter == counter);
  }

  private void notify(String key, boolean createdOrDeleted) {
    for (Watcher w : watchers) {
      String rel = w.path.relative(key);
      if (rel != null
          && !cut.contains(w.member)
          && !down
          && ClusterKey.wakesTheLoop(rel, createdOrDeleted)) {
        w.counter.bump();
      }
    }
  }
}
