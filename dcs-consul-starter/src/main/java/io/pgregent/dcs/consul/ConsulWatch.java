package io.pgregent.dcs.consul;

import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.consul.ConsulJson.KvEntry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sees changes under the cluster prefix through Consul's blocking queries ({@code index} + {@code
 * wait}), measured against what the HA loop last read; only changes that matter (see {@link
 * ClusterKey#wakesTheLoop}) bump the counter. The queries run on {@code executor}, so that a thread
 * waiting in {@link #awaitChange} waits on the counter and sees an interrupt at once (a blocking
 * HTTP read would not).
 */
final class ConsulWatch {

  private static final Logger log = LoggerFactory.getLogger(ConsulWatch.class);

  private final ConsulKv kv;
  private final ConsulHttp http;
  private final ClusterPath path;
  private final String prefixKey;
  private final Supplier<DcsTimings> timings;
  private final ChangeCounter changes;
  private final Executor executor;

  private final Object state = new Object();

  /** Guarded by {@link #state}: a poll task runs, until this deadline (nanoTime). */
  private boolean polling;

  private long pollUntilNanos;
  private long index;
  private Map<String, Long> snapshot;
  private volatile boolean closed;

  ConsulWatch(
      ConsulKv kv,
      ConsulHttp http,
      ClusterPath path,
      String prefixKey,
      Supplier<DcsTimings> timings,
      ChangeCounter changes,
      Executor executor) {
    this.kv = Objects.requireNonNull(kv);
    this.http = Objects.requireNonNull(http);
    this.path = Objects.requireNonNull(path);
    this.prefixKey = Objects.requireNonNull(prefixKey);
    this.timings = Objects.requireNonNull(timings);
    this.changes = Objects.requireNonNull(changes);
    this.executor = Objects.requireNonNull(executor);
  }

  /** What the caller has read is what later changes are measured against. */
  void readAt(long index, List<KvEntry> entries) {
    Map<String, Long> versions = versions(entries);
    synchronized (state) {
      this.index = index;
      this.snapshot = versions;
    }
  }

  /**
   * Waits for a change that matters since the last {@link #readAt}, through blocking queries run on
   * the executor until a change or the latest waiter's deadline. A failed query counts as a change,
   * so that the loop re-reads and learns whether the store is down.
   */
  boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    if (changes.changeCount() > since) {
      return true;
    }
    if (timeout.isZero() || timeout.isNegative() || closed) {
      return false;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (state) {
      if (!polling || deadline - pollUntilNanos > 0) {
        pollUntilNanos = deadline;
      }
      if (!polling) {
        polling = true;
        try {
          executor.execute(this::pollUntilChange);
        } catch (RejectedExecutionException e) {
          polling = false;
          return false;
        }
      }
    }
    return changes.awaitChange(since, timeout);
  }

  /** Blocking queries one after the other until one sees a change or the deadline passes. */
  private void pollUntilChange() {
    long start = changes.changeCount();
    try {
      while (!closed && changes.changeCount() == start) {
        long remaining;
        synchronized (state) {
          remaining = pollUntilNanos - System.nanoTime();
        }
        if (remaining <= 0) {
          return;
        }
        poll(Duration.ofNanos(remaining));
      }
    } finally {
      synchronized (state) {
        polling = false;
      }
    }
  }

  /** One blocking query, at most {@code remaining} long; bumps the counter on a change. */
  private void poll(Duration remaining) {
    long from;
    synchronized (state) {
      from = index;
    }
    Duration wait = ConsulTimeouts.blockingWait(remaining);
    List<String> params = new ArrayList<>(List.of("recurse"));
    if (from > 0) {
      params.add("index=" + Long.toUnsignedString(from));
      params.add("wait=" + ConsulTimeouts.goDuration(wait));
    }
    kv.addConsistency(params);
    ConsulHttp.Reply r;
    try {
      r =
          http.get(
              ConsulHttp.kvPath(prefixKey),
              from > 0 ? ConsulTimeouts.blockingReadTimeout(wait) : timings.get().retryTimeout(),
              params.toArray(new String[0]));
      if (!r.ok() && r.status() != 404) {
        throw ConsulKv.failure("watch " + prefixKey, r);
      }
    } catch (RuntimeException | IOException e) {
      if (!closed) {
        log.warn(
            "consul watch on {} at {} lost: {}; the HA loop re-reads",
            prefixKey,
            http.endpoint(),
            DcsRetry.describe(e));
        synchronized (state) {
          index = 0;
          snapshot = null;
        }
        changes.bump();
      }
      return;
    }
    Map<String, Long> now = versions(ConsulJson.kvEntries(r.status() == 404 ? "" : r.body()));
    boolean wake;
    synchronized (state) {
      wake = snapshot != null && wakes(snapshot, now);
      snapshot = now;
      // Consul's index can go backwards (a restored snapshot, a new server): start over then.
      index = r.index() < from ? 0 : r.index();
    }
    if (wake) {
      changes.bump();
    }
  }

  private Map<String, Long> versions(List<KvEntry> entries) {
    Map<String, Long> m = new HashMap<>();
    for (KvEntry e : entries) {
      String relative = path.relative("/" + e.key());
      if (relative != null) {
        m.put(relative, e.modifyIndex());
      }
    }
    return m;
  }

  /** Whether the difference between two views of the prefix should wake the HA loop. */
  static boolean wakes(Map<String, Long> before, Map<String, Long> after) {
    Set<String> keys = new HashSet<>(before.keySet());
    keys.addAll(after.keySet());
    for (String k : keys) {
      Long a = before.get(k);
      Long b = after.get(k);
      if (Objects.equals(a, b)) {
        continue;
      }
      if (ClusterKey.wakesTheLoop(k, a == null || b == null)) {
        return true;
      }
    }
    return false;
  }

  /** Stops polling; a query in flight ends with the HTTP client or its own wait. */
  void close() {
    closed = true;
  }
}
