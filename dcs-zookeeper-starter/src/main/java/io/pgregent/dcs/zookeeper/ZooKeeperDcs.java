package io.pgregent.dcs.zookeeper;

import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.await;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.check;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.code;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.create;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.deadline;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.delete;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.getData;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.ClusterViewAssembler;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsScheduler;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.RawNode;
import io.pgregent.core.dcs.StoreDcs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Dcs} on ZooKeeper, with Patroni's layout: every key is a znode at the same path as in
 * etcd, with the same bytes; {@code leader} and {@code members/<name>} are ephemeral znodes of this
 * member's session (session timeout = ttl, or what the servers grant: {@link #leaseDuration()}),
 * the other keys persistent and compare-and-set on the znode version. The version the SPI sees is
 * the znode's version plus one, so that 0 keeps meaning "absent".
 *
 * <p>ZooKeeper's client keeps its session alive by itself, so the HA loop's heartbeat is {@link
 * #renewSession()}: once it (or a first ephemeral write) has been seen, a {@link LoopWatchdog}
 * closes the session when the next heartbeat is later than ttl minus a margin (max(1 s, ttl/5)).
 * Closing drops the leader and member znodes at once, so a stalled loop never keeps the leader
 * lock. The next operation opens a new session ({@link ZooKeeperSessions}); {@link #renewSession()}
 * then returns false.
 *
 * <p>Every operation is bounded by retry_timeout: each attempt waits for a connection for the time
 * left and runs asynchronously with the same deadline, so a silent server surfaces as {@link
 * io.pgregent.core.dcs.DcsUnreachableException} in time. Changes are seen through one persistent
 * recursive watch on the cluster path (ZooKeeper 3.6 or later), re-registered after reconnecting.
 */
public final class ZooKeeperDcs extends StoreDcs {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperDcs.class);
  private static final String STORE = "zookeeper";

  private final byte[] memberBytes;
  private final String basePath;
  private final String leaderPath;
  private final String memberPath;
  private final DcsRetry retry;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes = new ChangeCounter();
  private final ZooKeeperSessions sessions;
  private final LoopWatchdog watchdog;
  private final DcsScheduler scheduler;

  /**
   * A client with a watchdog thread of its own (a daemon, stopped by {@link #close()}). Connects at
   * the first operation, not here.
   */
  public ZooKeeperDcs(
      ZooKeeperSettings settings, ClusterPath path, String member, DcsTimings timings) {
    this(
        settings,
        path,
        member,
        timings,
        DcsScheduler.ownThread("zookeeper-loop-watchdog-" + member));
  }

  /**
   * A client whose loop watchdog runs on {@code scheduler} (closed by {@link #close()}: a lent one
   * runs on).
   */
  public ZooKeeperDcs(
      ZooKeeperSettings settings,
      ClusterPath path,
      String member,
      DcsTimings timings,
      DcsScheduler scheduler) {
    super(path, member, timings);
    Objects.requireNonNull(settings);
    this.scheduler = Objects.requireNonNull(scheduler);
    this.memberBytes = bytes(member);
    String prefix = path.prefix();
    this.basePath = prefix.substring(0, prefix.length() - 1);
    this.leaderPath = path.key(ClusterKey.LEADER);
    this.memberPath = path.memberKey(member);
    this.retry =
        new DcsRetry(
            STORE, settings::connectString, timings.retryTimeout(), ZooKeeperCalls::retryable);
    this.assembler = new ClusterViewAssembler(path);
    this.sessions =
        new ZooKeeperSessions(settings, path, member, changes, () -> timings().retryTimeout());
    this.watchdog =
        new LoopWatchdog(scheduler.executor(), () -> timings().ttl(), this::loopStalled);
  }

  // ---- reading ----

  @Override
  public ClusterView read() {
    List<RawNode> nodes =
        retry.call(
            "read " + path.prefix(),
            t -> {
              long deadline = deadline(t);
              ZooKeeperSession s = connected(deadline);
              s.awaitWatch(deadline);
              return ZooKeeperTree.read(s, path, basePath, deadline);
            });
    return keepingMemberKey(assembler.assemble(nodes));
  }

  @Override
  protected void forgetMemberValue() {
    sessions.forgetMember();
  }

  // ---- session and loop watchdog ----

  /**
   * The loop's heartbeat: true if our session is the one renewed last time. Once a heartbeat (or a
   * first ephemeral write) has been seen, the loop watchdog closes the session when the next one is
   * later than ttl minus a margin, so a stalled loop never keeps the leader lock.
   */
  @Override
  public boolean renewSession() {
    int wantMs = sessionTimeoutMs();
    watchdog.heartbeat();
    ZooKeeperSession restart = sessions.dropIfTimeoutIsNot(wantMs);
    if (restart != null) {
      restart.close();
      changes.bump();
    }
    long id =
        retry.call(
            "session renew",
            t -> {
              long deadline = deadline(t);
              return connected(deadline).sessionId();
            });
    return sessions.renewed(id);
  }

  /** Closes the session so that its leader and member znodes drop at once. */
  private Runnable loopStalled(long silentMillis) {
    ZooKeeperSession stale = sessions.drop();
    return () -> {
      log.warn(
          "HA loop stalled: no cycle for {} ms (ttl {} s); closed the zookeeper session{} of"
              + " member {} so that its leader and member znodes drop",
          silentMillis,
          timings().ttl().toSeconds(),
          stale == null ? "" : " 0x" + Long.toHexString(stale.lastSessionId()),
          member);
      if (stale != null) {
        stale.close();
      }
      changes.bump();
    };
  }

  /**
   * The session timeout the servers granted when it is shorter than the ttl (they bound it to
   * minSessionTimeout..maxSessionTimeout, by default 2 to 20 ticks): our znodes outlive a frozen
   * agent by that long only.
   */
  @Override
  public Duration leaseDuration() {
    return sessions.leaseDuration(timings().ttl());
  }

  private ZooKeeperSession currentSession() {
    return sessions.current(sessionTimeoutMs());
  }

  private ZooKeeperSession connected(long deadline) throws Exception {
    return sessions.connected(sessionTimeoutMs(), deadline);
  }

  private int sessionTimeoutMs() {
    return (int) Math.min(Integer.MAX_VALUE, timings().ttl().toMillis());
  }

  // ---- leader lock ----

  @Override
  public boolean tryAcquire() {
    watchdog.armIfIdle();
    return retry.call(
        "leader acquire",
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          return createLeader(s, deadline);
        });
  }

  private boolean createLeader(ZooKeeperSession s, long deadline) throws Exception {
    CuratorEvent e = create(s, leaderPath, memberBytes, CreateMode.EPHEMERAL, deadline);
    if (code(e) == KeeperException.Code.NODEEXISTS) {
      // Ours only if our name in our session (an earlier attempt may have made it).
      CuratorEvent existing = getData(s, leaderPath, deadline);
      return code(existing) == KeeperException.Code.OK
          && isOurs(existing)
          && existing.getStat().getEphemeralOwner() == s.sessionId();
    }
    check(e, leaderPath);
    return true;
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    watchdog.armIfIdle();
    return retry.call(
        "leader refresh",
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          // Catch up with the quorum first, so that a lock lost elsewhere is not read as ours.
          CuratorEvent synced =
              await(deadline, cb -> s.client.sync().inBackground(cb).forPath(leaderPath));
          if (code(synced) != KeeperException.Code.NONODE) {
            check(synced, leaderPath);
          }
          CuratorEvent e = getData(s, leaderPath, deadline);
          if (code(e) == KeeperException.Code.NONODE) {
            return mayRecreate && createLeader(s, deadline);
          }
          check(e, leaderPath);
          if (!isOurs(e)) {
            return false;
          }
          Stat stat = e.getStat();
          if (stat.getEphemeralOwner() == s.sessionId()) {
            return true;
          }
          log.warn(
              "zookeeper leader znode {} holds our name but belongs to session 0x{}, not ours"
                  + " (0x{}): recreating it",
              leaderPath,
              Long.toHexString(stat.getEphemeralOwner()),
              Long.toHexString(s.sessionId()));
          CuratorEvent deleted = delete(s, leaderPath, stat.getVersion(), deadline);
          if (code(deleted) == KeeperException.Code.BADVERSION) {
            return false;
          }
          if (code(deleted) != KeeperException.Code.NONODE) {
            check(deleted, leaderPath);
          }
          return createLeader(s, deadline);
        });
  }

  @Override
  public boolean release() {
    return retry.call(
        "leader release",
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          CuratorEvent e = getData(s, leaderPath, deadline);
          if (code(e) == KeeperException.Code.NONODE) {
            return false;
          }
          check(e, leaderPath);
          if (!isOurs(e)) {
            return false;
          }
          CuratorEvent deleted = delete(s, leaderPath, e.getStat().getVersion(), deadline);
          KeeperException.Code c = code(deleted);
          if (c == KeeperException.Code.NONODE || c == KeeperException.Code.BADVERSION) {
            return false;
          }
          check(deleted, leaderPath);
          return true;
        });
  }

  private boolean isOurs(CuratorEvent e) {
    return java.util.Arrays.equals(e.getData(), memberBytes);
  }

  // ---- members ----

  @Override
  public void touchMember(Member data) {
    String value = ClusterCodec.encode(data);
    byte[] valueBytes = bytes(value);
    watchdog.armIfIdle();
    retry.call(
        "write member " + member,
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          long id = s.sessionId();
          if (sessions.memberUnchanged(value, id)) {
            return null;
          }
          ZooKeeperTree.writeEphemeral(s, memberPath, valueBytes, deadline);
          sessions.memberWritten(value, id);
          return null;
        });
  }

  @Override
  public void deleteMember() {
    retry.call(
        "delete member " + member,
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          CuratorEvent e = delete(s, memberPath, -1, deadline);
          if (code(e) != KeeperException.Code.NONODE) {
            check(e, memberPath);
          }
          return null;
        });
    sessions.forgetMember();
  }

  // ---- other keys ----

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    String znode = path.key(key);
    byte[] data = bytes(value);
    if (expectedVersion != CREATE_ONLY
        && (expectedVersion < 1 || expectedVersion > Integer.MAX_VALUE)) {
      return false;
    }
    return retry.call(
        "write " + key.path(),
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          if (expectedVersion == CREATE_ONLY) {
            CuratorEvent e = createPersistent(s, znode, data, deadline);
            if (code(e) == KeeperException.Code.NODEEXISTS) {
              return false;
            }
            check(e, znode);
            return true;
          }
          CuratorEvent e =
              await(
                  deadline,
                  cb ->
                      s.client
                          .setData()
                          .withVersion((int) (expectedVersion - 1))
                          .inBackground(cb)
                          .forPath(znode, data));
          KeeperException.Code c = code(e);
          if (c == KeeperException.Code.NONODE || c == KeeperException.Code.BADVERSION) {
            return false;
          }
          check(e, znode);
          return true;
        });
  }

  @Override
  public void put(ClusterKey key, String value) {
    String znode = path.key(key);
    byte[] data = bytes(value);
    retry.call(
        "write " + key.path(),
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          for (int round = 0; round < 5; round++) {
            CuratorEvent e =
                await(deadline, cb -> s.client.setData().inBackground(cb).forPath(znode, data));
            if (code(e) != KeeperException.Code.NONODE) {
              check(e, znode);
              return null;
            }
            CuratorEvent created = createPersistent(s, znode, data, deadline);
            if (code(created) != KeeperException.Code.NODEEXISTS) {
              check(created, znode);
              return null;
            }
          }
          throw new DcsException("zookeeper znode " + znode + " keeps changing under us");
        });
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    String znode = path.key(key);
    if (expectedVersion < 1 || expectedVersion > Integer.MAX_VALUE) {
      return false;
    }
    return retry.call(
        "delete " + key.path(),
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          CuratorEvent e = delete(s, znode, (int) (expectedVersion - 1), deadline);
          KeeperException.Code c = code(e);
          if (c == KeeperException.Code.NONODE || c == KeeperException.Code.BADVERSION) {
            return false;
          }
          check(e, znode);
          return true;
        });
  }

  private static CuratorEvent createPersistent(
      ZooKeeperSession s, String znode, byte[] data, long deadline) throws Exception {
    return create(s, znode, data, CreateMode.PERSISTENT, deadline);
  }

  // ---- watch ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    if (!sessions.isClosed()) {
      try {
        currentSession(); // the watch comes with the session; opening it does not block
      } catch (DcsException e) {
        // closed meanwhile
      }
    }
    return changes.awaitChange(since, timeout);
  }

  // ---- lifecycle ----

  @Override
  protected void timingsChanged(DcsTimings timings) {
    retry.setRetryTimeout(timings.retryTimeout());
  }

  /** Closes the session (our ephemeral znodes go at once) and stops the watchdog. */
  @Override
  public void close() {
    watchdog.close();
    ZooKeeperSession s = sessions.close();
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      scheduler.close();
    }
  }

  /** The live ZooKeeper handle, for tests that need to know which server it is connected to. */
  org.apache.zookeeper.ZooKeeper zooKeeperForTests() throws Exception {
    return currentSession().client.getZookeeperClient().getZooKeeper();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
