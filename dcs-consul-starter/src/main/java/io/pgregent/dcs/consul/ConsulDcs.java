package io.pgregent.dcs.consul;

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
import io.pgregent.dcs.consul.ConsulJson.KvEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link Dcs} on Consul, with Patroni's layout (keys {@code <namespace>/<scope>/…} without the
 * leading slash). The leader key and the member key are acquired with the member's session (see
 * {@link ConsulSession}), so both vanish when it lapses; the session is renewed only by {@link
 * #renewSession()}, once per HA cycle. Compare-and-set uses {@code cas=ModifyIndex} (see {@link
 * ConsulKv}); changes are seen through blocking queries on the cluster prefix (see {@link
 * ConsulWatch}).
 *
 * <p>With {@code register_service} the member is also registered as a service (see {@link
 * ConsulServiceRegistrar}).
 */
public final class ConsulDcs extends StoreDcs {

  private final ConsulSettings settings;
  private final ConsulHttp http;
  private final DcsRetry retry;
  private final ConsulKv kv;
  private final ConsulSession sessions;
  private final ConsulWatch watch;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes = new ChangeCounter();
  private final ConsulServiceRegistrar registrar;
  private final String prefixKey;
  private final String leaderKey;
  private final String memberKey;

  /** Guarded by {@link #sessions}: the member value last written, and with which session. */
  private String lastMemberValue;

  private String lastMemberSession;

  private final DcsScheduler scheduler;

  /** A client whose blocking queries run on a thread of its own, stopped by {@link #close()}. */
  public ConsulDcs(ConsulSettings settings, ClusterPath path, String member, DcsTimings timings) {
    this(settings, path, member, timings, DcsScheduler.ownThread("consul-watch"));
  }

  /**
   * A client whose blocking queries run on {@code scheduler} (each occupies one of its threads for
   * up to the wait asked for), closed by {@link #close()}: a lent one runs on.
   */
  public ConsulDcs(
      ConsulSettings settings,
      ClusterPath path,
      String member,
      DcsTimings timings,
      DcsScheduler scheduler) {
    super(path, member, timings);
    this.scheduler = Objects.requireNonNull(scheduler);
    this.settings = Objects.requireNonNull(settings);
    this.http = new ConsulHttp(settings);
    this.retry =
        new DcsRetry(ConsulKv.STORE, http::endpoint, timings.retryTimeout(), ConsulKv::retryable);
    this.kv = new ConsulKv(settings, http, retry);
    this.sessions =
        new ConsulSession(settings, http, retry, path.scope(), member, this::timings, this::rebind);
    this.assembler = new ClusterViewAssembler(path);
    this.prefixKey = consulKey(path.prefix());
    this.leaderKey = consulKey(path.key(ClusterKey.LEADER));
    this.memberKey = consulKey(path.memberKey(member));
    this.watch =
        new ConsulWatch(kv, http, path, prefixKey, this::timings, changes, scheduler.executor());
    this.registrar =
        new ConsulServiceRegistrar(settings, http, path.scope(), member, this::timings);
  }

  /** Consul's keys carry no leading slash: {@code service/batman/leader}. */
  static String consulKey(String absolute) {
    return absolute.startsWith("/") ? absolute.substring(1) : absolute;
  }

  // ---- reading ----

  @Override
  public ClusterView read() {
    ConsulHttp.Reply reply = kv.read("read " + prefixKey, prefixKey, true);
    List<KvEntry> entries = ConsulJson.kvEntries(reply.status() == 404 ? "" : reply.body());
    List<RawNode> nodes = new ArrayList<>();
    for (KvEntry e : entries) {
      String relative = path.relative("/" + e.key());
      if (relative != null && !relative.isEmpty() && e.modifyIndex() > 0) {
        nodes.add(new RawNode(relative, e.value(), e.modifyIndex()));
      }
    }
    watch.readAt(reply.index(), entries);
    return keepingMemberKey(assembler.assemble(nodes));
  }

  @Override
  protected void forgetMemberValue() {
    synchronized (sessions) {
      lastMemberValue = null;
    }
  }

  // ---- leader lock ----

  @Override
  public boolean renewSession() {
    return sessions.renew();
  }

  /** After a ttl change: moves our member key and a leader lock we hold onto the new session. */
  private void rebind(String oldSession) {
    if (lastMemberValue != null) {
      putMember(lastMemberValue);
    }
    kv.readKey("leader read", leaderKey)
        .filter(e -> e.value().equals(member) && oldSession.equals(e.session()))
        .ifPresent(this::takeOver);
  }

  @Override
  public boolean tryAcquire() {
    return sessions.withLive(this::tryAcquire);
  }

  private boolean tryAcquire(String s) {
    if (kv.acquire("leader acquire", leaderKey, member, s)) {
      return true;
    }
    return kv.readKey("leader read", leaderKey)
        .map(e -> e.value().equals(member) && s.equals(e.session()))
        .orElse(false);
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    return sessions.withLive(s -> refresh(s, mayRecreate));
  }

  private boolean refresh(String s, boolean mayRecreate) {
    Optional<KvEntry> leader = kv.readKey("leader refresh", leaderKey);
    if (leader.isEmpty()) {
      // Our session lapsed and nobody holds the lock now: take it again, as a create-if-absent.
      return mayRecreate && kv.acquire("leader acquire", leaderKey, member, s);
    }
    KvEntry e = leader.get();
    if (!e.value().equals(member)) {
      return false;
    }
    if (s.equals(e.session())) {
      return true; // held by our live session: renewing the session was the refresh
    }
    return takeOver(e);
  }

  /** Moves a leader key holding our name but not bound to our session onto our session. */
  private boolean takeOver(KvEntry e) {
    String s = sessions.current();
    if (e.session() != null && !e.session().equals(s)) {
      // Locked by an older session of ours: free it with a compare-and-delete, then lock it.
      if (!kv.deleteCas("leader rebind", leaderKey, e.modifyIndex())) {
        return false;
      }
      return kv.acquire("leader acquire", leaderKey, member, s);
    }
    return kv.acquireAt("leader refresh", leaderKey, member, s, e.modifyIndex());
  }

  @Override
  public boolean release() {
    Optional<KvEntry> leader = kv.readKey("leader read", leaderKey);
    if (leader.isEmpty() || !leader.get().value().equals(member)) {
      return false;
    }
    return kv.deleteCas("leader release", leaderKey, leader.get().modifyIndex());
  }

  // ---- other keys ----

  @Override
  public void touchMember(Member data) {
    String value = ClusterCodec.encode(data);
    synchronized (sessions) {
      sessions.withLive(
          s -> {
            if (!value.equals(lastMemberValue) || !s.equals(lastMemberSession)) {
              putMember(value);
            }
            return null;
          });
    }
    if (settings.registerService() || registrar.isRegistered()) {
      if (settings.registerService()) {
        registrar.update(data);
      } else {
        registrar.deregister();
      }
    }
  }

  /** Writes the member key bound to the live session; the caller holds {@link #sessions}. */
  private void putMember(String value) {
    String s = sessions.current();
    String operation = "write member " + member;
    boolean ok = kv.acquire(operation, memberKey, value, s);
    if (!ok) {
      // Locked by an older session of ours (after a ttl change): free it, then lock it anew.
      Optional<KvEntry> e = kv.readKey("read member " + member, memberKey);
      if (e.isPresent() && e.get().session() != null && !e.get().session().equals(s)) {
        kv.deleteCas(operation, memberKey, e.get().modifyIndex());
        ok = kv.acquire(operation, memberKey, value, s);
      }
    }
    if (!ok) {
      throw new DcsException(
          "consul: could not write " + memberKey + ": it is locked by another session");
    }
    lastMemberValue = value;
    lastMemberSession = s;
  }

  @Override
  public void deleteMember() {
    registrar.deregister();
    kv.delete("delete member " + member, memberKey);
    forgetMemberValue();
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return kv.compareAndSet(
        "write " + key.path(), consulKey(path.key(key)), expectedVersion, value);
  }

  @Override
  public void put(ClusterKey key, String value) {
    kv.put("write " + key.path(), consulKey(path.key(key)), value);
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return kv.deleteCas("delete " + key.path(), consulKey(path.key(key)), expectedVersion);
  }

  // ---- changes ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  /**
   * Waits for a change that matters (see {@link ClusterKey#wakesTheLoop}) since the last {@link
   * #read()}. A failed query counts as a change, so that the loop re-reads and learns whether the
   * store is down. The wait itself is interruptible at once.
   */
  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    return watch.awaitChange(since, timeout);
  }

  // ---- lifecycle ----

  @Override
  protected void timingsChanged(DcsTimings timings) {
    retry.setRetryTimeout(timings.retryTimeout());
  }

  /** Deregisters the service if we registered it; our keys lapse with the session. */
  @Override
  public void close() {
    watch.close();
    try {
      registrar.deregister();
    } finally {
      try {
        scheduler.close();
      } finally {
        http.close();
      }
    }
  }
}
