package io.pgregent.dcs.etcd;

import static io.pgregent.dcs.etcd.EtcdClients.bytes;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.StoreDcs;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Dcs} on etcd v3, with Patroni's layout: one lease per member with TTL = ttl carrying
 * the member key and the leader key, renewed only by {@link #renewSession()} (one keep-alive per HA
 * cycle over a kept-open stream, never in the background); compare-and-set through {@code Txn} on
 * create and mod revisions; one prefix {@code Watch} resumed from the last revision seen. At rest a
 * leader's cycle costs the store one small read and one keep-alive message.
 */
public final class EtcdDcs extends StoreDcs {

  private static final Logger log = LoggerFactory.getLogger(EtcdDcs.class);
  private static final String STORE = "etcd3";

  private final EtcdSettings settings;
  private final KeepAliveStream keepAlives = new KeepAliveStream();
  private final Client client;
  private final KV kv;
  private final DcsRetry retry;
  private final EtcdClusterReader reader;
  private final ChangeCounter changes = new ChangeCounter();
  private final ByteSequence leaderKey;
  private final ByteSequence memberKey;
  private final ByteSequence memberValue;

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

  private final EtcdWatch watch;

  public EtcdDcs(EtcdSettings settings, ClusterPath path, String member, DcsTimings timings) {
    super(path, member, timings);
    this.settings = Objects.requireNonNull(settings);
    this.client = EtcdClients.build(settings, timings, keepAlives);
    this.kv = client.getKVClient();
    this.retry =
        new DcsRetry(STORE, settings::endpointList, timings.retryTimeout(), EtcdClients::retryable);
    // The client sends each request to the next endpoint (round robin): a member cut off from its
    // quorum must not take a whole retry_timeout.
    retry.spreadOver(settings.endpoints().size());
    this.leaderKey = bytes(path.key(ClusterKey.LEADER));
    this.memberKey = bytes(path.memberKey(member));
    this.memberValue = bytes(member);
    this.reader = new EtcdClusterReader(kv, retry, path);
    this.watch = new EtcdWatch(client, path, changes, settings::endpointList);
  }

  // ---- reading ----

  /** Reads the cluster through the probe-then-read of {@link EtcdClusterReader}. */
  @Override
  public ClusterView read() {
    watch.ensure();
    return keepingMemberKey(reader.read());
  }

  @Override
  protected void forgetMemberValue() {
    synchronized (sessionLock) {
      lastMemberValue = null;
    }
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
          .get(timings().retryTimeout().toMillis(), TimeUnit.MILLISECONDS);
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
    return Math.max(2, timings().ttl().toSeconds());
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
  public boolean refresh(boolean mayRecreate) {
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
    // Absent (our lease lapsed and nobody holds it now): take it again, as a create-if-absent.
    return mayRecreate && tryAcquire();
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
    EtcdClusterReader.Snapshot last = reader.last();
    long keptAt;
    synchronized (sessionLock) {
      if (keptAliveLease != lease || leaseId != lease) {
        return false;
      }
      keptAt = keptAliveAtNanos;
    }
    return last != null
        && keptAt - last.atNanos() >= 0
        && System.nanoTime() - keptAt < timings().ttl().toNanos() / 2
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
    forgetMemberValue();
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
    watch.ensure();
    return changes.awaitChange(since, timeout);
  }

  // ---- lifecycle ----

  @Override
  protected void timingsChanged(DcsTimings timings) {
    retry.setRetryTimeout(timings.retryTimeout());
  }

  @Override
  public void close() {
    watch.shutdown();
    keepAlives.close();
    client.close();
  }

  // ---- helpers ----

  private static PutOption lease(long id) {
    return PutOption.builder().withLeaseId(id).build();
  }

  private static long ms(Duration d) {
    return Math.max(1, d.toMillis());
  }
}
