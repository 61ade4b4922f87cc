package io.pgregent.dcs.zookeeper;

import io.pgregent.core.dcs.DcsConfigurationException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Asynchronous Curator calls bounded by a deadline, and which of their failures are worth another
 * attempt. Every call runs in the background, so a silent server costs the time left, not longer.
 */
final class ZooKeeperCalls {

  private ZooKeeperCalls() {}

  /** No connection to any server (yet). */
  static final class NotConnectedException extends Exception {
    private static final long serialVersionUID = 1L;

    NotConnectedException(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  interface BackgroundOp {
    void start(BackgroundCallback callback) throws Exception;
  }

  static CompletableFuture<CuratorEvent> start(BackgroundOp op) throws Exception {
    CompletableFuture<CuratorEvent> f = new CompletableFuture<>();
    op.start((client, event) -> f.complete(event));
    return f;
  }

  static CuratorEvent await(long deadline, BackgroundOp op) throws Exception {
    return await(start(op), deadline);
  }

  static CuratorEvent await(CompletableFuture<CuratorEvent> f, long deadline) throws Exception {
    try {
      return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException("no answer from zookeeper in time");
    }
  }

  static CuratorEvent getData(ZooKeeperSession s, String znode, long deadline) throws Exception {
    return await(deadline, cb -> s.client.getData().inBackground(cb).forPath(znode));
  }

  static CuratorEvent delete(ZooKeeperSession s, String znode, int version, long deadline)
      throws Exception {
    return await(
        deadline, cb -> s.client.delete().withVersion(version).inBackground(cb).forPath(znode));
  }

  static CuratorEvent create(
      ZooKeeperSession s, String znode, byte[] data, CreateMode mode, long deadline)
      throws Exception {
    return await(
        deadline,
        cb ->
            s.client
                .create()
                .creatingParentsIfNeeded()
                .withMode(mode)
                .inBackground(cb)
                .forPath(znode, data));
  }

  static KeeperException.Code code(CuratorEvent e) {
    return KeeperException.Code.get(e.getResultCode());
  }

  /** Raises the event's error, if any. */
  static void check(CuratorEvent e, String znode) throws KeeperException {
    KeeperException.Code c = code(e);
    if (c != KeeperException.Code.OK) {
      throw KeeperException.create(c, znode);
    }
  }

  /**
   * Whether a failure is worth another attempt within retry_timeout.
   *
   * @throws DcsConfigurationException when the failure is the configuration's (auth, TLS)
   */
  static boolean retryable(Throwable t) {
    if (t instanceof KeeperException ke) {
      return switch (ke.code()) {
        case CONNECTIONLOSS,
            SESSIONEXPIRED,
            SESSIONMOVED,
            OPERATIONTIMEOUT,
            REQUESTTIMEOUT,
            NOTREADONLY,
            THROTTLEDOP,
            SYSTEMERROR ->
            true;
        case NOAUTH, AUTHFAILED, INVALIDACL, SESSIONCLOSEDREQUIRESASLAUTH -> {
          throw new DcsConfigurationException(
              "zookeeper refused us (check zookeeper.auth_data, zookeeper.set_acls and the"
                  + " certificates): "
                  + ke.getMessage(),
              ke);
        }
        default -> false;
      };
    }
    if (t instanceof javax.net.ssl.SSLException) {
      throw new DcsConfigurationException(
          "zookeeper TLS handshake failed (check zookeeper.cacert, zookeeper.cert, zookeeper.key"
              + " and zookeeper.verify): "
              + t.getMessage(),
          t);
    }
    // Timeouts, no connection yet, a client closed under us by the watchdog: try again.
    return t instanceof TimeoutException
        || t instanceof NotConnectedException
        || t instanceof IllegalStateException
        || t instanceof org.apache.curator.CuratorConnectionLossException;
  }

  static long deadline(Duration timeout) {
    return System.nanoTime() + timeout.toNanos();
  }
}
