package io.pgregent.dcs.zookeeper;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.ClusterViewAssembler;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.RawNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Dcs} on ZooKeeper, with Patroni's layout: every key is a znode at the same path as in
 * etcd, with the same bytes; {@code leader} and {@code members/<name>} are ephemeral znodes of this
 * member's session (session timeout = ttl), the other keys persistent and compare-and-set on the
 * znode version. The version the SPI sees is the znode's version plus one, so that 0 keeps meaning
 * "absent".
 *
 * <p>ZooKeeper's client keeps its session alive by itself, so the HA loop's heartbeat is {@link
 * #renewSession()}: once it (or a first ephemeral write) has been seen, a watchdog closes the
 * session when the next heartbeat is later than ttl minus a margin (max(1 s, ttl/5)). Closing drops
 * the leader and member znodes at once, so a stalled loop never keeps the leader lock. The next
 * operation opens a new session; {@link #renewSession()} then returns false.
 *
 * <p>Every operation is bounded by retry_timeout: each attempt waits for a connection for the time
 * left and runs asynchronously with the same deadline, so a silent server surfaces as {@link
 * io.pgregent.core.dcs.DcsUnreachableException} in time. Changes are seen through one persistent
 * recursive watch on the cluster path (ZooKeeper 3.6 or later), re-registered after reconnecting.
 */
public final class ZooKeeperDcs implements Dcs {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperDcs.class);
  private static final String STORE = "zookeeper";

  private final ZooKeeperSettings settings;
  private final ClusterPath path;
  private final String member;
  private final byte[] memberBytes;
  private final String basePath;
  private final String leaderPath;
  private final String memberPath;
  private final DcsRetry retry;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes = new ChangeCounter();
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;

  private volatile DcsTimings timings;
  private volatile boolean closed;

  private final Object sessionLock = new Object();
  // All guarded by sessionLock.
  private ZooKeeperSession session;
  private long renewedSessionId;
  private boolean sessionDropped;
  private boolean watchdogArmed;
  private long heartbeatNanos;
  private ScheduledFuture<?> watchdogCheck;
  private String lastMemberValue;
  private long lastMemberSession;

  /**
   * A client with its own watchdog thread (a daemon, stopped by {@link #close()}). Connects at the
   * first operation, not here.
   */
  public ZooKeeperDcs(
      ZooKeeperSettings settings, ClusterPath path, String member, DcsTimings timings) {
    this(settings, path, member, timings, null);
  }

  /**
   * A client whose watchdog runs on {@code watchdogScheduler} (not shut down by {@link #close()});
   * null to create one of its own.
   */
  public ZooKeeperDcs(
      ZooKeeperSettings settings,
      ClusterPath path,
      String member,
      DcsTimings timings,
      ScheduledExecutorService watchdogScheduler) {
    this.settings = Objects.requireNonNull(settings);
    this.path = Objects.requireNonNull(path);
    this.member = Objects.requireNonNull(member);
    this.timings = Objects.requireNonNull(timings);
    this.memberBytes = bytes(member);
    String prefix = path.prefix();
    this.basePath = prefix.substring(0, prefix.length() - 1);
    this.leaderPath = path.key(ClusterKey.LEADER);
    this.memberPath = path.memberKey(member);
    this.retry =
        new DcsRetry(
            STORE, settings::connectString, timings.retryTimeout(), ZooKeeperDcs::retryable);
    this.assembler = new ClusterViewAssembler(path);
    if (watchdogScheduler == null) {
      this.scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "zookeeper-loop-watchdog-" + member);
                t.setDaemon(true);
                return t;
              });
      this.ownsScheduler = true;
    } else {
      this.scheduler = watchdogScheduler;
      this.ownsScheduler = false;
    }
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
              return readNodes(s, deadline);
            });
    return assembler.assemble(nodes);
  }

  private List<RawNode> readNodes(ZooKeeperSession s, long deadline) throws Exception {
    CuratorEvent top =
        await(deadline, cb -> s.client.getChildren().inBackground(cb).forPath(basePath));
    List<RawNode> nodes = new ArrayList<>();
    if (code(top) == KeeperException.Code.NONODE) {
      return nodes;
    }
    check(top, basePath);
    List<String> relatives = new ArrayList<>();
    CompletableFuture<CuratorEvent> membersList = null;
    CompletableFuture<CuratorEvent> optimeList = null;
    for (String child : top.getChildren()) {
      if (child.equals("members")) {
        membersList =
            start(cb -> s.client.getChildren().inBackground(cb).forPath(basePath + "/members"));
      } else if (child.equals("optime")) {
        optimeList =
            start(cb -> s.client.getChildren().inBackground(cb).forPath(basePath + "/optime"));
      } else {
        relatives.add(child);
      }
    }
    addChildren(membersList, "members/", relatives, deadline);
    addChildren(optimeList, "optime/", relatives, deadline);
    List<CompletableFuture<CuratorEvent>> reads = new ArrayList<>();
    for (String relative : relatives) {
      String znode = path.key(relative);
      reads.add(start(cb -> s.client.getData().inBackground(cb).forPath(znode)));
    }
    for (int i = 0; i < relatives.size(); i++) {
      CuratorEvent e = await(reads.get(i), deadline);
      if (code(e) == KeeperException.Code.NONODE) {
        continue; // deleted since we listed it
      }
      check(e, path.key(relatives.get(i)));
      byte[] data = e.getData();
      String value = data == null ? "" : new String(data, StandardCharsets.UTF_8);
      nodes.add(new RawNode(relatives.get(i), value, e.getStat().getVersion() + 1L));
    }
    return nodes;
  }

  private static void addChildren(
      CompletableFuture<CuratorEvent> list, String dir, List<String> relatives, long deadline)
      throws Exception {
    if (list == null) {
      return;
    }
    CuratorEvent e = await(list, deadline);
    if (code(e) == KeeperException.Code.NONODE) {
      return;
    }
    check(e, e.getPath());
    for (String child : e.getChildren()) {
      relatives.add(dir + child);
    }
  }

  @Override
  public String memberName() {
    return member;
  }

  @Override
  public ClusterPath path() {
    return path;
  }

  // ---- session and loop watchdog ----

  @Override
  public boolean renewSession() {
    ZooKeeperSession restart = null;
    int wantMs = sessionTimeoutMs();
    synchronized (sessionLock) {
      heartbeatNanos = System.nanoTime();
      armWatchdog();
      if (session != null && session.timeoutMs != wantMs) {
        log.info(
            "zookeeper ttl changed to {} s: restarting the session of member {}",
            wantMs / 1000,
            member);
        restart = session;
        session = null;
        sessionDropped = true;
      }
    }
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
    synchronized (sessionLock) {
      boolean kept = !sessionDropped && (renewedSessionId == 0 || renewedSessionId == id);
      if (!kept) {
        log.warn(
            "zookeeper session of member {} was lost: its member znode and any leader znode are"
                + " gone; now in session 0x{}",
            member,
            Long.toHexString(id));
      }
      renewedSessionId = id;
      sessionDropped = false;
      return kept;
    }
  }

  /** Starts watching the loop's heartbeat, if not already. Call with sessionLock held. */
  private void armWatchdog() {
    if (watchdogArmed || closed) {
      return;
    }
    watchdogArmed = true;
    watchdogCheck = scheduler.schedule(this::checkLoop, watchdogLimitNanos(), TimeUnit.NANOSECONDS);
  }

  /** An ephemeral write binds keys to the session: from now on the loop's heartbeat counts. */
  private void armWatchdogOnWrite() {
    synchronized (sessionLock) {
      if (!watchdogArmed) {
        heartbeatNanos = System.nanoTime();
        armWatchdog();
      }
    }
  }

  /** ttl minus max(1 s, ttl/5): the longest the loop may go without a heartbeat. */
  private long watchdogLimitNanos() {
    long ttl = timings.ttl().toNanos();
    long margin = Math.max(TimeUnit.SECONDS.toNanos(1), ttl / 5);
    return Math.max(ttl - margin, TimeUnit.MILLISECONDS.toNanos(500));
  }

  private void checkLoop() {
    ZooKeeperSession stale;
    long silentMillis;
    synchronized (sessionLock) {
      if (!watchdogArmed || closed) {
        return;
      }
      long now = System.nanoTime();
      long due = heartbeatNanos + watchdogLimitNanos();
      if (now < due) {
        watchdogCheck = scheduler.schedule(this::checkLoop, due - now, TimeUnit.NANOSECONDS);
        return;
      }
      silentMillis = TimeUnit.NANOSECONDS.toMillis(now - heartbeatNanos);
      watchdogArmed = false;
      watchdogCheck = null;
      stale = session;
      session = null;
      sessionDropped = true;
      lastMemberValue = null;
    }
    log.warn(
        "HA loop stalled: no cycle for {} ms (ttl {} s); closed the zookeeper session{} of member"
            + " {} so that its leader and member znodes drop",
        silentMillis,
        timings.ttl().toSeconds(),
        stale == null ? "" : " 0x" + Long.toHexString(stale.lastSessionId()),
        member);
    if (stale != null) {
      stale.close();
    }
    changes.bump();
  }

  /** The session to use, opened (not yet connected) if there is none. */
  private ZooKeeperSession currentSession() {
    synchronized (sessionLock) {
      if (closed) {
        throw new DcsException("zookeeper client of member " + member + " is closed");
      }
      if (session == null) {
        session = new ZooKeeperSession(sessionTimeoutMs());
      }
      return session;
    }
  }

  /** The current session once connected, or a retryable failure when the deadline passes. */
  private ZooKeeperSession connected(long deadline) throws Exception {
    ZooKeeperSession s = currentSession();
    long remaining = deadline - System.nanoTime();
    if (!s.client.blockUntilConnected((int) Math.max(1, millis(remaining)), TimeUnit.MILLISECONDS)
        || s.sessionId() == 0) {
      throw new NotConnectedException("not connected to " + settings.connectString());
    }
    s.checkNegotiatedTimeout();
    return s;
  }

  private int sessionTimeoutMs() {
    return (int) Math.min(Integer.MAX_VALUE, timings.ttl().toMillis());
  }

  // ---- leader lock ----

  @Override
  public boolean tryAcquire() {
    armWatchdogOnWrite();
    return retry.call(
        "leader acquire",
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          return createLeader(s, deadline);
        });
  }

  private boolean createLeader(ZooKeeperSession s, long deadline) throws Exception {
    CuratorEvent e =
        await(
            deadline,
            cb ->
                s.client
                    .create()
                    .creatingParentsIfNeeded()
                    .withMode(CreateMode.EPHEMERAL)
                    .inBackground(cb)
                    .forPath(leaderPath, memberBytes));
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
  public boolean refresh() {
    armWatchdogOnWrite();
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
            return createLeader(s, deadline);
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
    armWatchdogOnWrite();
    retry.call(
        "write member " + member,
        t -> {
          long deadline = deadline(t);
          ZooKeeperSession s = connected(deadline);
          long id = s.sessionId();
          synchronized (sessionLock) {
            if (value.equals(lastMemberValue) && lastMemberSession == id) {
              return null;
            }
          }
          writeMember(s, valueBytes, deadline);
          synchronized (sessionLock) {
            lastMemberValue = value;
            lastMemberSession = id;
          }
          return null;
        });
  }

  private void writeMember(ZooKeeperSession s, byte[] value, long deadline) throws Exception {
    for (int round = 0; round < 5; round++) {
      CuratorEvent e = getData(s, memberPath, deadline);
      if (code(e) == KeeperException.Code.NONODE) {
        CuratorEvent created =
            await(
                deadline,
                cb ->
                    s.client
                        .create()
                        .creatingParentsIfNeeded()
                        .withMode(CreateMode.EPHEMERAL)
                        .inBackground(cb)
                        .forPath(memberPath, value));
        if (code(created) != KeeperException.Code.NODEEXISTS) {
          check(created, memberPath);
          return;
        }
        continue;
      }
      check(e, memberPath);
      Stat stat = e.getStat();
      if (stat.getEphemeralOwner() == s.sessionId()) {
        CuratorEvent set =
            await(
                deadline,
                cb ->
                    s.client
                        .setData()
                        .withVersion(stat.getVersion())
                        .inBackground(cb)
                        .forPath(memberPath, value));
        KeeperException.Code c = code(set);
        if (c != KeeperException.Code.NONODE && c != KeeperException.Code.BADVERSION) {
          check(set, memberPath);
          return;
        }
      } else {
        // Left by an earlier session of ours (or written by a tool): replace it with ours.
        CuratorEvent deleted = delete(s, memberPath, stat.getVersion(), deadline);
        KeeperException.Code c = code(deleted);
        if (c != KeeperException.Code.NONODE && c != KeeperException.Code.BADVERSION) {
          check(deleted, memberPath);
        }
      }
    }
    throw new DcsException("zookeeper member znode " + memberPath + " keeps changing under us");
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
    synchronized (sessionLock) {
      lastMemberValue = null;
    }
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

  private CuratorEvent createPersistent(
      ZooKeeperSession s, String znode, byte[] data, long deadline) throws Exception {
    return await(
        deadline,
        cb ->
            s.client
                .create()
                .creatingParentsIfNeeded()
                .withMode(CreateMode.PERSISTENT)
                .inBackground(cb)
                .forPath(znode, data));
  }

  private static CuratorEvent getData(ZooKeeperSession s, String znode, long deadline)
      throws Exception {
    return await(deadline, cb -> s.client.getData().inBackground(cb).forPath(znode));
  }

  private static CuratorEvent delete(ZooKeeperSession s, String znode, int version, long deadline)
      throws Exception {
    return await(
        deadline, cb -> s.client.delete().withVersion(version).inBackground(cb).forPath(znode));
  }

  // ---- watch ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    if (!closed) {
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
  public void setTimings(DcsTimings timings) {
    this.timings = Objects.requireNonNull(timings);
    retry.setRetryTimeout(timings.retryTimeout());
  }

  @Override
  public DcsTimings timings() {
    return timings;
  }

  /** Closes the session (our ephemeral znodes go at once) and stops the watchdog. */
  @Override
  public void close() {
    ZooKeeperSession s;
    synchronized (sessionLock) {
      if (closed) {
        return;
      }
      closed = true;
      watchdogArmed = false;
      if (watchdogCheck != null) {
        watchdogCheck.cancel(false);
        watchdogCheck = null;
      }
      s = session;
      session = null;
    }
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      if (ownsScheduler) {
        scheduler.shutdownNow();
      }
    }
  }

  /** The live ZooKeeper handle, for tests that need to know which server it is connected to. */
  org.apache.zookeeper.ZooKeeper zooKeeperForTests() throws Exception {
    return currentSession().client.getZookeeperClient().getZooKeeper();
  }

  // ---- one ZooKeeper session ----

  /** One Curator client, hence one ZooKeeper session, with the watch on the cluster path. */
  private final class ZooKeeperSession {
    final int timeoutMs;
    final CuratorFramework client;
    final PersistentWatcher watch;
    final CountDownLatch watching = new CountDownLatch(1);
    final AtomicBoolean missedEvents = new AtomicBoolean();
    final AtomicBoolean timeoutChecked = new AtomicBoolean();
    volatile long lastSessionId;

    ZooKeeperSession(int timeoutMs) {
      this.timeoutMs = timeoutMs;
      this.client = ZooKeeperClients.build(settings, timeoutMs, timings.retryTimeout());
      client.getConnectionStateListenable().addListener((c, state) -> onState(state));
      client.start();
      watch = new PersistentWatcher(client, basePath, true);
      watch
          .getListenable()
          .addListener(
              event -> {
                String relative = event.getPath() == null ? null : path.relative(event.getPath());
                boolean createdOrDeleted =
                    event.getType() == org.apache.zookeeper.Watcher.Event.EventType.NodeCreated
                        || event.getType()
                            == org.apache.zookeeper.Watcher.Event.EventType.NodeDeleted;
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
          if (!closed) {
            log.warn(
                "zookeeper session 0x{} of member {} at {} is lost: its ephemeral znodes are"
                    + " gone",
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

    /** The servers bound session timeouts (2 to 20 ticks by default): say so when ttl is cut. */
    void checkNegotiatedTimeout() throws Exception {
      if (timeoutChecked.compareAndSet(false, true)) {
        int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
        if (negotiated > 0 && negotiated != timeoutMs) {
          log.warn(
              "zookeeper at {} gave session 0x{} a timeout of {} ms instead of ttl = {} ms: the"
                  + " leader znode outlives a dead agent by that long (set the servers'"
                  + " minSessionTimeout/maxSessionTimeout to allow the ttl)",
              settings.connectString(),
              Long.toHexString(lastSessionId),
              negotiated,
              timeoutMs);
        }
      }
    }

    void awaitWatch(long deadline) throws Exception {
      if (!watching.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new NotConnectedException(
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

  // ---- helpers ----

  /** No connection to any server (yet). */
  static final class NotConnectedException extends Exception {
    private static final long serialVersionUID = 1L;

    NotConnectedException(String message) {
      super(message);
    }
  }

  @FunctionalInterface
  private interface BackgroundOp {
    void start(BackgroundCallback callback) throws Exception;
  }

  private static CompletableFuture<CuratorEvent> start(BackgroundOp op) throws Exception {
    CompletableFuture<CuratorEvent> f = new CompletableFuture<>();
    op.start((client, event) -> f.complete(event));
    return f;
  }

  private static CuratorEvent await(long deadline, BackgroundOp op) throws Exception {
    return await(start(op), deadline);
  }

  private static CuratorEvent await(CompletableFuture<CuratorEvent> f, long deadline)
      throws Exception {
    try {
      return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException("no answer from zookeeper in time");
    }
  }

  private static KeeperException.Code code(CuratorEvent e) {
    return KeeperException.Code.get(e.getResultCode());
  }

  /** Raises the event's error, if any. */
  private static void check(CuratorEvent e, String znode) throws KeeperException {
    KeeperException.Code c = code(e);
    if (c != KeeperException.Code.OK) {
      throw KeeperException.create(c, znode);
    }
  }

  private static boolean retryable(Throwable t) {
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

  private static long deadline(Duration timeout) {
    return System.nanoTime() + timeout.toNanos();
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
