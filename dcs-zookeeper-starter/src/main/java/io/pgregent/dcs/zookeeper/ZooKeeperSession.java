package io.pgregent.dcs.zookeeper;

import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Curator client, hence one ZooKeeper session, with one persistent recursive watch on the
 * cluster path (ZooKeeper 3.6 or later), re-registered by Curator after reconnecting. Watch events
 * and connection changes only bump the change counter: the loop re-reads.
 */
final class ZooKeeperSession {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperSession.class);

  final int timeoutMs;
  final CuratorFramework client;
  private final ZooKeeperSettings settings;
  private final String basePath;
  private final String member;
  private final ChangeCounter changes;
  private final BooleanSupplier closing;
  private final PersistentWatcher watch;
  private final CountDownLatch watching = new CountDownLatch(1);
  private final AtomicBoolean missedEvents = new AtomicBoolean();
  private final AtomicBoolean timeoutChecked = new AtomicBoolean();
  private volatile long lastSessionId;
  private volatile int negotiatedMs;

  /**
   * Opens the client (connecting in the background) and registers the watch.
   *
   * @param timeoutMs the session timeout to ask for
   * @param closing whether the owner is closing, so a lost session then is no news
   */
  ZooKeeperSession(
      ZooKeeperSettings settings,
      ClusterPath path,
      String member,
      int timeoutMs,
      Duration retryTimeout,
      ChangeCounter changes,
      BooleanSupplier closing) {
    this.settings = settings;
    this.timeoutMs = timeoutMs;
    this.member = member;
    this.changes = changes;
    this.closing = closing;
    String prefix = path.prefix();
    this.basePath = prefix.substring(0, prefix.length() - 1);
    this.client = ZooKeeperClients.build(settings, timeoutMs, retryTimeout);
    client.getConnectionStateListenable().addListener((c, state) -> onState(state));
    client.start();
    watch = new PersistentWatcher(client, basePath, true);
    watch
        .getListenable()
        .addListener(
            event -> {
              String relative = event.getPath() == null ? null : path.relative(event.getPath());
              boolean createdOrDeleted =
                  event.getType() == Watcher.Event.EventType.NodeCreated
                      || event.getType() == Watcher.Event.EventType.NodeDeleted;
              if (relative == null || ClusterKey.wakesTheLoop(relative, createdOrDeleted)) {
                changes.bump();
              }
            });
    watch
        .getResetListenable()
        .addListener(
            () -> {
              // Registered again after a disconnection: changes may have been missed.
              if (missedEvents.getAndSet(false)) {
                changes.bump();
              }
              watching.countDown();
            });
    watch.start();
  }

  private void onState(ConnectionState state) {
    switch (state) {
      case SUSPENDED -> missedEvents.set(true);
      case LOST -> {
        missedEvents.set(true);
        if (!closing.getAsBoolean()) {
          log.warn(
              "zookeeper session 0x{} of member {} at {} is lost: its ephemeral znodes are gone",
              Long.toHexString(lastSessionId),
              member,
              settings.connectString());
        }
        changes.bump();
      }
      case RECONNECTED -> changes.bump();
      default -> {}
    }
  }

  /** The session's id, 0 while not connected. */
  long sessionId() throws Exception {
    long id = client.getZookeeperClient().getZooKeeper().getSessionId();
    if (id != 0) {
      lastSessionId = id;
    }
    return id;
  }

  long lastSessionId() {
    return lastSessionId;
  }

  /** The session timeout the server granted, 0 until connected once. */
  int negotiatedTimeoutMs() {
    return negotiatedMs;
  }

  /**
   * Waits for a connection until {@code deadline}, then records the session timeout the server
   * granted.
   *
   * @throws ZooKeeperCalls.NotConnectedException when the deadline passes first
   */
  void awaitConnected(long deadline) throws Exception {
    long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (!client.blockUntilConnected((int) Math.max(1, remaining), TimeUnit.MILLISECONDS)
        || sessionId() == 0) {
      throw new ZooKeeperCalls.NotConnectedException(
          "not connected to " + settings.connectString());
    }
    int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
    if (negotiated > 0) {
      negotiatedMs = negotiated;
      // The servers bound session timeouts (2 to 20 ticks by default): say so when ttl is cut.
      if (negotiated != timeoutMs && timeoutChecked.compareAndSet(false, true)) {
        log.warn(
            "zookeeper at {} gave session 0x{} a timeout of {} ms instead of ttl = {} ms: the"
                + " leader znode outlives a dead agent by that long, and the lease deadline"
                + " counts from it (set the servers' minSessionTimeout/maxSessionTimeout to allow"
                + " the ttl)",
            settings.connectString(),
            Long.toHexString(lastSessionId),
            negotiated,
            timeoutMs);
      }
    }
  }

  void awaitWatch(long deadline) throws Exception {
    if (!watching.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      throw new ZooKeeperCalls.NotConnectedException(
          "watch on " + basePath + " not registered at " + settings.connectString());
    }
  }

  void close() {
    try {
      watch.close();
    } catch (RuntimeException e) {
      log.debug("closing the zookeeper watch: {}", e.toString());
    }
    try {
      client.close();
    } catch (RuntimeException e) {
      log.debug("closing the zookeeper client: {}", e.toString());
    }
  }
}
