package io.pgregent.dcs.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsRetry;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one prefix {@code Watch} of {@link EtcdDcs}, resumed from the last revision seen. Its
 * callbacks only bump the change counter (a hint: the loop always re-reads); a lost watch wakes the
 * loop, and the next {@link #ensure()} opens a new one.
 */
final class EtcdWatch {

  private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);

  private final Client client;
  private final ClusterPath path;
  private final ByteSequence prefix;
  private final ChangeCounter changes;
  private final Supplier<String> endpoints;
  private final Object watchLock = new Object();
  private Watch.Watcher watcher;
  // Identifies the watcher being opened or open (null when none): callbacks of another are stale.
  private Object current;
  private volatile long lastRevision;
  private volatile boolean closed;

  EtcdWatch(Client client, ClusterPath path, ChangeCounter changes, Supplier<String> endpoints) {
    this.client = client;
    this.path = path;
    this.prefix = EtcdClients.bytes(path.prefix());
    this.changes = changes;
    this.endpoints = endpoints;
  }

  /**
   * Opens the watch unless one is open or being opened. jetcd is called outside our lock: it calls
   * our listener while holding its own lock (a lost or closed watcher), and the listener takes
   * ours; calling jetcd under ours would deadlock the HA loop with jetcd's thread.
   */
  void ensure() {
    Object token = new Object();
    WatchOption.Builder option = WatchOption.builder().isPrefix(true).withProgressNotify(true);
    synchronized (watchLock) {
      if (current != null || closed) {
        return;
      }
      current = token;
      if (lastRevision > 0) {
        option.withRevision(lastRevision + 1);
      }
    }
    Watch.Watcher opened = null;
    try {
      opened =
          client
              .getWatchClient()
              .watch(
                  prefix,
                  option.build(),
                  Watch.listener(
                      this::onWatch, t -> onWatchError(token, t), () -> onWatchCompleted(token)));
    } finally {
      boolean keep;
      synchronized (watchLock) {
        keep = opened != null && current == token && !closed;
        if (keep) {
          watcher = opened;
        } else if (current == token) {
          current = null;
        }
      }
      if (!keep) {
        // Lost or closed while it was being opened: the next ensure() opens another.
        closeQuietly(opened);
      }
    }
  }

  private void onWatch(WatchResponse response) {
    long max = lastRevision;
    boolean wake = false;
    for (WatchEvent e : response.getEvents()) {
      KeyValue kv = e.getKeyValue();
      max = Math.max(max, kv.getModRevision());
      String relative = path.relative(kv.getKey().toString(StandardCharsets.UTF_8));
      boolean createdOrDeleted =
          e.getEventType() == WatchEvent.EventType.DELETE || kv.getVersion() == 1;
      wake |= relative != null && ClusterKey.wakesTheLoop(relative, createdOrDeleted);
    }
    if (!response.getEvents().isEmpty()) {
      lastRevision = max;
      if (wake) {
        changes.bump();
      }
    }
  }

  private void onWatchError(Object token, Throwable t) {
    if (closed) {
      return;
    }
    Throwable cause = DcsRetry.unwrap(t);
    if (cause instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.OUT_OF_RANGE
        || String.valueOf(cause.getMessage()).contains("compacted")) {
      lastRevision = 0;
    }
    log.warn(
        "etcd3 watch on {} at {} lost: {}; resuming, the HA loop re-reads",
        path.prefix(),
        endpoints.get(),
        DcsRetry.describe(cause));
    drop(token);
  }

  private void onWatchCompleted(Object token) {
    if (!closed) {
      drop(token);
    }
  }

  /** The watcher of {@code token} is gone: forget it (a later one's callbacks are not its). */
  private void drop(Object token) {
    Watch.Watcher old;
    synchronized (watchLock) {
      if (current != token) {
        return;
      }
      current = null;
      old = watcher;
      watcher = null;
    }
    closeQuietly(old);
    // Wake the loop: it re-reads, and its next wait re-creates the watch.
    changes.bump();
  }

  /** Closes the current watcher, outside our lock (jetcd's close() takes jetcd's lock). */
  void close() {
    Watch.Watcher old;
    synchronized (watchLock) {
      old = watcher;
      watcher = null;
      current = null;
    }
    closeQuietly(old);
  }

  private static void closeQuietly(Watch.Watcher w) {
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        log.debug("closing etcd3 watcher: {}", e.toString());
      }
    }
  }

  /** Closes the watch for good: errors and completions after this are expected and ignored. */
  void shutdown() {
    closed = true;
    close();
  }
}
