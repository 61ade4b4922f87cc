package io.pgregent.dcs.zookeeper;

import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsException;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's ZooKeeper session over time: the one in use, opened on demand, and whether the one
 * the loop last renewed is still it. A session is dropped when the loop stalls or the ttl changes;
 * the next operation opens a new one, and the next renewal reports the loss, because the member and
 * leader znodes went with the old session.
 */
final class ZooKeeperSessions {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperSessions.class);

  private final ZooKeeperSettings settings;
  private final ClusterPath path;
  private final String member;
  private final ChangeCounter changes;
  private final Supplier<Duration> retryTimeout;
  private final Object lock = new Object();
  private volatile boolean closed;
  // All guarded by lock.
  private ZooKeeperSession session;
  private long renewedSessionId;
  private boolean dropped;
  private String lastMemberValue;
  private long lastMemberSession;

  ZooKeeperSessions(
      ZooKeeperSettings settings,
      ClusterPath path,
      String member,
      ChangeCounter changes,
      Supplier<Duration> retryTimeout) {
    this.settings = settings;
    this.path = path;
    this.member = member;
    this.changes = changes;
    this.retryTimeout = retryTimeout;
  }

  boolean isClosed() {
    return closed;
  }

  /** The session to use, opened (not yet connected) if there is none. */
  ZooKeeperSession current(int timeoutMs) {
    synchronized (lock) {
      if (closed) {
        throw new DcsException("zookeeper client of member " + member + " is closed");
      }
      if (session == null) {
        session =
            new ZooKeeperSession(
                settings, path, member, timeoutMs, retryTimeout.get(), changes, () -> closed);
      }
      return session;
    }
  }

  /** The current session once connected, or a retryable failure when the deadline passes. */
  ZooKeeperSession connected(int timeoutMs, long deadline) throws Exception {
    ZooKeeperSession s = current(timeoutMs);
    s.awaitConnected(deadline);
    return s;
  }

  /**
   * Drops the session if it was opened with another timeout (the ttl changed), so that the next one
   * asks for the new ttl. Returns the dropped session for the caller to close.
   */
  ZooKeeperSession dropIfTimeoutIsNot(int timeoutMs) {
    synchronized (lock) {
      if (session == null || session.timeoutMs == timeoutMs) {
        return null;
      }
      log.info(
          "zookeeper ttl changed to {} s: restarting the session of member {}",
          timeoutMs / 1000,
          member);
      return dropLocked();
    }
  }

  /** Drops the session at once (the loop stalled); returns it for the caller to close. */
  ZooKeeperSession drop() {
    synchronized (lock) {
      return dropLocked();
    }
  }

  private ZooKeeperSession dropLocked() {
    ZooKeeperSession stale = session;
    session = null;
    dropped = true;
    lastMemberValue = null;
    return stale;
  }

  /**
   * The loop renewed in session {@code id}: true if that is the session it renewed last time (or
   * the first), false if the session was dropped or lost since.
   */
  boolean renewed(long id) {
    synchronized (lock) {
      boolean kept = !dropped && (renewedSessionId == 0 || renewedSessionId == id);
      if (!kept) {
        log.warn(
            "zookeeper session of member {} was lost: its member znode and any leader znode are"
                + " gone; now in session 0x{}",
            member,
            Long.toHexString(id));
      }
      renewedSessionId = id;
      dropped = false;
      return kept;
    }
  }

  /**
   * How long the store keeps our ephemeral znodes without us: the ttl, or the session timeout the
   * server granted when it is shorter.
   */
  Duration leaseDuration(Duration ttl) {
    ZooKeeperSession s;
    synchronized (lock) {
      s = session;
    }
    int negotiated = s == null ? 0 : s.negotiatedTimeoutMs();
    return negotiated > 0 && negotiated < ttl.toMillis() ? Duration.ofMillis(negotiated) : ttl;
  }

  /** Whether {@code value} is already our member znode's value in session {@code id}. */
  boolean memberUnchanged(String value, long id) {
    synchronized (lock) {
      return value.equals(lastMemberValue) && lastMemberSession == id;
    }
  }

  void memberWritten(String value, long id) {
    synchronized (lock) {
      lastMemberValue = value;
      lastMemberSession = id;
    }
  }

  void forgetMember() {
    synchronized (lock) {
      lastMemberValue = null;
    }
  }

  /** Closes for good; returns the open session for the caller to close, null if none. */
  ZooKeeperSession close() {
    synchronized (lock) {
      if (closed) {
        return null;
      }
      closed = true;
      ZooKeeperSession s = session;
      session = null;
      return s;
    }
  }
}
