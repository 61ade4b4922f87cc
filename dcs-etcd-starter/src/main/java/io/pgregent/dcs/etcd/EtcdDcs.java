package io.pgregent.dcs.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
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
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Dcs} on etcd v3, with Patroni's layout: one lease per member with TTL = ttl carrying
 * the member key and the leader key, renewed only by {@link #renewSession()} (one keep-alive per HA
 * cycle over a kept-open stream, never in the background); compare-and-set through {@code Txn} on
 * create and mod revisions; one prefix {@code Watch} resumed from the last revision seen. At rest a
 * leader's cycle costs the store one small read and one keep-alive message.
 */
public final class EtcdDcs implements Dcs {

  private static final Logger log = LoggerFactory.getLogger(EtcdDcs.class);
  private static final String STORE = "etcd3";
  private static final GetOption PROBE =
      GetOption.builder()
          .isPrefix(true)
          .withKeysOnly(true)
          .withSortField(GetOption.SortTarget.MOD)
          .withSortOrder(GetOption.SortOrder.DESCEND)
          .withLimit(1)
          .build();

  private final EtcdSettings settings;
  private final ClusterPath path;
  private final String member;
  private final KeepAliveStream keepAlives = new KeepAliveStream();
  private final Client client;
  private final KV kv;
  private final DcsRetry retry;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes = new ChangeCounter();
  private final ByteSequence prefix;
  private final ByteSequence leaderKey;
  private final ByteSequence memberKey;
  private final ByteSequence memberValue;

  private volatile DcsTimings timings;
  private volatile Snapshot snapshot;
  private final Object sessionLock = new Object();
  private long leaseId;
  private long leaseTtlSeconds;

  /** The mod revision of our last write of the leader key under the current lease, 0 if none. */
  private long leaderModRevision;

  private String lastMemberValue;
  private long lastMemberLease;

  /** When the last keep-alive that found the lease alive was sent, and for which lease. */
  private long keptAliveAtNanos;

  private long keptAliveLease;

  private final Object watchLock = new Object();
  private Watch.Watcher watcher;
  private volatile long lastRevision;
  private volatile boolean closed;

  public EtcdDcs(EtcdSettings settings, ClusterPath path, String member, DcsTimings timings) {
    this.settings = Objects.requireNonNull(settings);
    this.path = Objects.requireNonNull(path);
    this.member = Objects.requireNonNull(member);
    this.timings = Objects.requireNonNull(timings);
    this.client = buildClient(settings, timings, keepAlives);
    this.kv = client.getKVClient();
    this.retry =
        new DcsRetry(STORE, settings::endpointList, timings.retryTimeout(), EtcdDcs::retryable);
    this.assembler = new ClusterViewAssembler(path);
    this.prefix = bytes(path.prefix());
    this.leaderKey = bytes(path.key(ClusterKey.LEADER));
    this.memberKey = bytes(path.memberKey(member));
    this.memberValue = bytes(member);
  }

  private static Client buildClient(
      EtcdSettings settings, DcsTimings timings, KeepAliveStream keepAlives) {
    ClientBuilder b =
        Client.builder()
            .endpoints(settings.endpoints().toArray(new java.net.URI[0]))
            .connectTimeout(min(timings.retryTimeout(), Duration.ofSeconds(2)))
            // gRPC pings find a dead long-lived connection (the watch) within ttl; etcd answers
            // pings without an open stream, or more often than every 5 s, with GOAWAY.
            .keepaliveTime(keepaliveTime(timings))
            .keepaliveTimeout(Duration.ofSeconds(3))
            .keepaliveWithoutCalls(false)
            // DcsRetry owns retries and their deadline; the client's own stay short.
            .retryMaxAttempts(1)
            .retryDelay(100)
            .retryMaxDelay(500)
            .retryMaxDuration(timings.retryTimeout())
            // Requests start in the calling thread (they are asynchronous anyway).
            .executorService(new CallerRunsExecutor())
            .interceptor(keepAlives.interceptor());
    if (settings.username() != null) {
      b.user(bytes(settings.username())).password(bytes(settings.password()));
    }
    if (settings.hasTls()) {
      try {
        b.sslContext(
            ssl -> {
              if (settings.cacert() != null) {
                ssl.trustManager(file(settings.cacert().toFile(), "etcd3.cacert"));
              }
              if (settings.cert() != null) {
                ssl.keyManager(
                    file(settings.cert().toFile(), "etcd3.cert"),
                    file(settings.key().toFile(), "etcd3.key"));
              }
            });
      } catch (SSLException | IllegalArgumentException e) {
        throw new DcsConfigurationException(
            "etcd3: cannot use etcd3.cacert/etcd3.cert/etcd3.key: " + DcsRetry.describe(e), e);
      }
    }
    return b.build();
  }

  /** Ping often enough to find a dead connection within ttl, never more often than etcd allows. */
  static Duration keepaliveTime(DcsTimings timings) {
    Duration third = timings.ttl().dividedBy(3);
    return third.compareTo(Duration.ofSeconds(6)) < 0 ? Duration.ofSeconds(6) : third;
  }

  private static File file(File f, String setting) {
    if (!f.canRead()) {
      throw new DcsConfigurationException(setting + ": cannot read " + f, null);
    }
    return f;
  }

  // ---- reading ----

  /**
   * Reads the cluster. A small probe (the key count and the newest modification under the prefix,
   * no values) comes first: at rest nothing changes between cycles, and the last view is still
   * right; only a changed prefix is read in full and parsed again. Either way every read asks the
   * store, so an unreachable store is noticed on the read, as before.
   */
  @Override
  public ClusterView read() {
    ensureWatch();
    Snapshot last = snapshot;
    if (last != null) {
      GetResponse probe =
          retry.call(
              "read " + path.prefix(),
              t -> kv.get(prefix, PROBE).get(ms(t), TimeUnit.MILLISECONDS));
      long newest = probe.getKvs().isEmpty() ? 0 : probe.getKvs().get(0).getModRevision();
      if (probe.getCount() == last.count() && newest == last.newestModRevision()) {
        snapshot = last.confirmedAt(System.nanoTime());
        return last.view();
      }
    }
    GetResponse response =
        retry.call(
            "read " + path.prefix(),
            t ->
                kv.get(prefix, GetOption.builder().isPrefix(true).build())
                    .get(ms(t), TimeUnit.MILLISECONDS));
    List<RawNode> nodes = new ArrayList<>();
    long newest = 0;
    for (KeyValue kvp : response.getKvs()) {
      newest = Math.max(newest, kvp.getModRevision());
      String relative = path.relative(kvp.getKey().toString(StandardCharsets.UTF_8));
      if (relative != null) {
        nodes.add(
            new RawNode(
                relative, kvp.getValue().toString(StandardCharsets.UTF_8), kvp.getModRevision()));
      }
    }
    ClusterView view = assembler.assemble(nodes);
    snapshot = new Snapshot(response.getKvs().size(), newest, view, System.nanoTime());
    return view;
  }

  /**
   * A full read and what identifies it (any put raises the newest revision, a delete the count),
   * and when the store last answered that it is still current.
   */
  private record Snapshot(long count, long newestModRevision, ClusterView view, long atNanos) {
    Snapshot confirmedAt(long nanos) {
      return new Snapshot(count, newestModRevision, view, nanos);
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

  // ---- session ----

  @Override
  public boolean renewSession() {
    synchronized (sessionLock) {
      long wantTtl = ttlSeconds();
      if (leaseId == 0) {
        grantLease(wantTtl);
        return true;
      }
      if (leaseTtlSeconds != wantTtl) {
        long old = leaseId;
        grantLease(wantTtl);
        log.info(
            "etcd3 ttl changed to {} s: moved to lease {}", wantTtl, Long.toHexString(leaseId));
        rebindToNewLease();
        revokeQuietly(old);
        return true;
      }
      long id = leaseId;
      long sentAt = System.nanoTime();
      boolean[] viaStream = {keepAlives.usable()};
      long ttl =
          retry.call(
              "lease keep-alive",
              t -> {
                if (viaStream[0]) {
                  try {
                    return keepAlives.keepAlive(id, ms(t));
                  } catch (java.util.concurrent.ExecutionException e) {
                    // The stream broke (a new connection, a restarted server): renew through
                    // the client now; the next renewal opens a new stream.
                    viaStream[0] = false;
                  } catch (java.util.concurrent.TimeoutException e) {
                    viaStream[0] = false;
                    throw e;
                  }
                }
                try {
                  LeaseKeepAliveResponse r =
                      client.getLeaseClient().keepAliveOnce(id).get(ms(t), TimeUnit.MILLISECONDS);
                  return r.getTTL();
                } catch (java.util.concurrent.ExecutionException e) {
                  if (isLeaseNotFound(e.getCause())) {
                    return 0L;
                  }
                  throw e;
                }
              });
      if (ttl > 0) {
        keptAliveAtNanos = sentAt;
        keptAliveLease = id;
        return true;
      }
      log.warn(
          "etcd3 lease {} of member {} had expired: the member key and any leader lock bound to it"
              + " are gone",
          Long.toHexString(id),
          member);
      grantLease(wantTtl);
      return false;
    }
  }

  private void grantLease(long ttlSeconds) {
    leaseId =
        retry.call(
            "lease grant",
            t ->
                client
                    .getLeaseClient()
                    .grant(ttlSeconds)
                    .get(ms(t), TimeUnit.MILLISECONDS)
                    .getID());
    leaseTtlSeconds = ttlSeconds;
    leaderModRevision = 0;
  }

  /** After a ttl change: moves our member key and a leader lock we hold onto the new lease. */
  private void rebindToNewLease() {
    if (lastMemberValue != null) {
      putMember(lastMemberValue);
    }
    long id = leaseId;
    TxnResponse r =
        txn(
            "leader rebind",
            new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.value(memberValue))},
            new Op[] {Op.put(leaderKey, memberValue, lease(id))},
            new Op[0]);
    if (r.isSucceeded()) {
      leaderModRevision = r.getPutResponses().get(0).getHeader().getRevision();
    }
  }

  private void revokeQuietly(long id) {
    try {
      client
          .getLeaseClient()
          .revoke(id)
          .get(timings.retryTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.debug("etcd3 revoke of old lease {} failed: {}", Long.toHexString(id), e.toString());
    }
  }

  private long currentLease() {
    synchronized (sessionLock) {
      if (leaseId == 0) {
        grantLease(ttlSeconds());
      }
      return leaseId;
    }
  }

  private long ttlSeconds() {
    return Math.max(2, timings.ttl().toSeconds());
  }

  private static boolean isLeaseNotFound(Throwable t) {
    return t != null
        && t.getMessage() != null
        && t.getMessage().contains("requested lease not found");
  }

  // ---- leader lock ----

  @Override
  public boolean tryAcquire() {
    long id = currentLease();
    TxnResponse r =
        txn(
            "leader acquire",
            new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0))},
            new Op[] {Op.put(leaderKey, memberValue, lease(id))},
            new Op[] {Op.get(leaderKey, GetOption.DEFAULT)});
    if (r.isSucceeded()) {
      synchronized (sessionLock) {
        leaderModRevision = r.getPutResponses().get(0).getHeader().getRevision();
      }
      return true;
    }
    List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
    return !kvs.isEmpty()
        && kvs.get(0).getValue().equals(memberValue)
        && kvs.get(0).getLease() == id;
  }

  @Override
  public boolean refresh() {
    long id = currentLease();
    long known;
    synchronized (sessionLock) {
      known = leaderModRevision;
    }
    if (known > 0 && confirmedByReadAndKeepAlive(id, known)) {
      return true;
    }
    if (known > 0) {
      // Untouched since we wrote it under the live lease: the keep-alive was the refresh.
      TxnResponse r =
          txn(
              "leader refresh",
              new Cmp[] {
                new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.value(memberValue)),
                new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.modRevision(known))
              },
              new Op[0],
              new Op[0]);
      if (r.isSucceeded()) {
        return true;
      }
    }
    TxnResponse r =
        txn(
            "leader refresh",
            new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.value(memberValue))},
            new Op[] {Op.put(leaderKey, memberValue, lease(id))},
            new Op[0]);
    if (r.isSucceeded()) {
      synchronized (sessionLock) {
        leaderModRevision = r.getPutResponses().get(0).getHeader().getRevision();
      }
      return true;
    }
    // Absent (our lease lapsed and nobody took it): take it again, as a create-if-absent.
    return tryAcquire();
  }

  /**
   * Whether the lock is known to be ours without asking again: the last read (linearizable) showed
   * our own write of the leader key under this lease, and a keep-alive sent after that read found
   * the lease alive, not long ago. The key is bound to the lease, so only an explicit delete by
   * someone else could have removed it since — a window no longer than the one between any refresh
   * and the next cycle's read, and that delete wakes the loop through the watch anyway. This saves
   * the leader one request per cycle.
   */
  private boolean confirmedByReadAndKeepAlive(long lease, long known) {
    Snapshot last = snapshot;
    long keptAt;
    synchronized (sessionLock) {
      if (keptAliveLease != lease || leaseId != lease) {
        return false;
      }
      keptAt = keptAliveAtNanos;
    }
    return last != null
        && keptAt - last.atNanos() >= 0
        && System.nanoTime() - keptAt < timings.ttl().toNanos() / 2
        && last.view()
            .leader()
            .map(l -> l.name().equals(member) && l.version() == known)
            .orElse(false);
  }

  @Override
  public boolean release() {
    TxnResponse r =
        txn(
            "leader release",
            new Cmp[] {new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.value(memberValue))},
            new Op[] {Op.delete(leaderKey, DeleteOption.DEFAULT)},
            new Op[0]);
    synchronized (sessionLock) {
      leaderModRevision = 0;
    }
    return r.isSucceeded();
  }

  // ---- other keys ----

  @Override
  public void touchMember(Member data) {
    String value = ClusterCodec.encode(data);
    synchronized (sessionLock) {
      long id = currentLease();
      if (value.equals(lastMemberValue) && lastMemberLease == id) {
        return;
      }
      putMember(value);
    }
  }

  private void putMember(String value) {
    long id = leaseId;
    retry.call(
        "write member " + member,
        t -> kv.put(memberKey, bytes(value), lease(id)).get(ms(t), TimeUnit.MILLISECONDS));
    lastMemberValue = value;
    lastMemberLease = id;
  }

  @Override
  public void deleteMember() {
    retry.call(
        "delete member " + member, t -> kv.delete(memberKey).get(ms(t), TimeUnit.MILLISECONDS));
    synchronized (sessionLock) {
      lastMemberValue = null;
    }
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    ByteSequence k = bytes(path.key(key));
    CmpTarget<?> target =
        expectedVersion == CREATE_ONLY
            ? CmpTarget.createRevision(0)
            : CmpTarget.modRevision(expectedVersion);
    return txn(
            "write " + key.path(),
            new Cmp[] {new Cmp(k, Cmp.Op.EQUAL, target)},
            new Op[] {Op.put(k, bytes(value), PutOption.DEFAULT)},
            new Op[0])
        .isSucceeded();
  }

  @Override
  public void put(ClusterKey key, String value) {
    ByteSequence k = bytes(path.key(key));
    retry.call(
        "write " + key.path(), t -> kv.put(k, bytes(value)).get(ms(t), TimeUnit.MILLISECONDS));
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    ByteSequence k = bytes(path.key(key));
    return txn(
            "delete " + key.path(),
            new Cmp[] {new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersion))},
            new Op[] {Op.delete(k, DeleteOption.DEFAULT)},
            new Op[0])
        .isSucceeded();
  }

  private TxnResponse txn(String operation, Cmp[] cmps, Op[] then, Op[] otherwise) {
    return retry.call(
        operation,
        t ->
            kv.txn()
                .If(cmps)
                .Then(then)
                .Else(otherwise)
                .commit()
                .get(ms(t), TimeUnit.MILLISECONDS));
  }

  // ---- watch ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    ensureWatch();
    return changes.awaitChange(since, timeout);
  }

  private void ensureWatch() {
    synchronized (watchLock) {
      if (watcher != null || closed) {
        return;
      }
      WatchOption.Builder option = WatchOption.builder().isPrefix(true).withProgressNotify(true);
      if (lastRevision > 0) {
        option.withRevision(lastRevision + 1);
      }
      watcher =
          client
              .getWatchClient()
              .watch(
                  prefix,
                  option.build(),
                  Watch.listener(this::onWatch, this::onWatchError, this::onWatchCompleted));
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

  private void onWatchError(Throwable t) {
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
        settings.endpointList(),
        DcsRetry.describe(cause));
    dropWatch();
  }

  private void onWatchCompleted() {
    if (!closed) {
      dropWatch();
    }
  }

  private void dropWatch() {
    closeWatcher();
    // Wake the loop: it re-reads, and its next wait re-creates the watch.
    changes.bump();
  }

  /**
   * Closes the current watcher outside our lock: jetcd calls our listener while holding its own
   * lock, and its close() takes that lock.
   */
  private void closeWatcher() {
    Watch.Watcher old;
    synchronized (watchLock) {
      old = watcher;
      watcher = null;
    }
    if (old != null) {
      try {
        old.close();
      } catch (RuntimeException e) {
        log.debug("closing etcd3 watcher: {}", e.toString());
      }
    }
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

  @Override
  public void close() {
    closed = true;
    closeWatcher();
    keepAlives.close();
    client.close();
  }

  // ---- helpers ----

  /**
   * Outages are retried; a refusal of our credentials or certificates is not, and surfaces as a
   * {@link DcsConfigurationException} naming the settings to fix.
   */
  private static boolean retryable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = String.valueOf(c.getMessage());
      if (m.contains("authentication failed")
          || m.contains("permission denied")
          || m.contains("user name is empty")
          || m.contains("user name not found")
          || (c instanceof EtcdException ee && ee.getErrorCode() == ErrorCode.PERMISSION_DENIED)) {
        throw new DcsConfigurationException(
            "etcd3 refused our credentials (check etcd3.username and etcd3.password): "
                + DcsRetry.describe(t),
            t);
      }
      if (c instanceof javax.net.ssl.SSLException) {
        throw new DcsConfigurationException(
            "etcd3 TLS handshake failed (check etcd3.cacert, etcd3.cert, etcd3.key and"
                + " etcd3.protocol): "
                + DcsRetry.describe(t),
            t);
      }
    }
    return !(t instanceof DcsException);
  }

  private static PutOption lease(long id) {
    return PutOption.builder().withLeaseId(id).build();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static long ms(Duration d) {
    return Math.max(1, d.toMillis());
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
