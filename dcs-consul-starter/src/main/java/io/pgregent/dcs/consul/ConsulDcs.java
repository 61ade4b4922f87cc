package io.pgregent.dcs.consul;

import com.ecwid.consul.transport.TransportException;
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
import io.pgregent.dcs.consul.ConsulJson.KvEntry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Dcs} on Consul, with Patroni's layout (keys {@code <namespace>/<scope>/…} without the
 * leading slash): one session per member, named {@code <scope>-<name>}, with TTL ttl/2 (Consul lets
 * a session live up to twice its TTL), behaviour {@code delete} and a 1 ms lock-delay; the leader
 * key and the member key are acquired with it, so both vanish when it lapses. The session is
 * renewed only by {@link #renewSession()}, once per HA cycle, never in the background.
 * Compare-and-set uses {@code cas=ModifyIndex}; changes are seen through blocking queries on the
 * cluster prefix ({@code index} + {@code wait}) run by the thread waiting in {@link #awaitChange}.
 *
 * <p>With {@code register_service} the member is also registered as a service (see {@link
 * ConsulServiceRegistrar}).
 */
public final class ConsulDcs implements Dcs {

  private static final Logger log = LoggerFactory.getLogger(ConsulDcs.class);
  private static final String STORE = "consul";

  private final ConsulSettings settings;
  private final ClusterPath path;
  private final String member;
  private final ConsulHttp http;
  private final DcsRetry retry;
  private final ClusterViewAssembler assembler;
  private final ChangeCounter changes = new ChangeCounter();
  private final ConsulServiceRegistrar registrar;
  private final String prefixKey;
  private final String leaderKey;
  private final String memberKey;

  private volatile DcsTimings timings;

  private final Object sessionLock = new Object();
  private String session;
  private Duration sessionTtl;
  private String lastMemberValue;
  private String lastMemberSession;
  private boolean warnedShortTtl;

  /**
   * Runs the blocking queries, so that a thread waiting in {@link #awaitChange} waits on {@link
   * #changes} and sees an interrupt at once (a blocking HTTP read would not).
   */
  private final java.util.concurrent.ExecutorService watcher =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "consul-watch");
            t.setDaemon(true);
            return t;
          });

  /** Guarded by {@link #watchState}: a poll task runs, until this deadline (nanoTime). */
  private boolean polling;

  private long pollUntilNanos;

  private final Object watchState = new Object();
  private long watchIndex;
  private Map<String, Long> watchSnapshot;
  private volatile boolean closed;

  public ConsulDcs(ConsulSettings settings, ClusterPath path, String member, DcsTimings timings) {
    this.settings = Objects.requireNonNull(settings);
    this.path = Objects.requireNonNull(path);
    this.member = Objects.requireNonNull(member);
    this.timings = Objects.requireNonNull(timings);
    this.http = new ConsulHttp(settings);
    this.retry = new DcsRetry(STORE, http::endpoint, timings.retryTimeout(), ConsulDcs::retryable);
    this.assembler = new ClusterViewAssembler(path);
    this.prefixKey = consulKey(path.prefix());
    this.leaderKey = consulKey(path.key(ClusterKey.LEADER));
    this.memberKey = consulKey(path.memberKey(member));
    this.registrar =
        new ConsulServiceRegistrar(settings, http, path.scope(), member, () -> this.timings);
  }

  /** Consul's keys carry no leading slash: {@code service/batman/leader}. */
  static String consulKey(String absolute) {
    return absolute.startsWith("/") ? absolute.substring(1) : absolute;
  }

  // ---- reading ----

  @Override
  public ClusterView read() {
    ConsulHttp.Reply reply = retry.call("read " + prefixKey, t -> kvRead(prefixKey, true, t));
    List<KvEntry> entries = ConsulJson.kvEntries(reply.status() == 404 ? "" : reply.body());
    List<RawNode> nodes = new ArrayList<>();
    for (KvEntry e : entries) {
      String relative = path.relative("/" + e.key());
      if (relative != null && !relative.isEmpty() && e.modifyIndex() > 0) {
        nodes.add(new RawNode(relative, e.value(), e.modifyIndex()));
      }
    }
    synchronized (watchState) {
      // What the caller has read is what later changes are measured against.
      watchIndex = reply.index();
      watchSnapshot = versions(entries);
    }
    ClusterView view = assembler.assemble(nodes);
    if (view.member(member).isEmpty()) {
      // Deleted by someone else (patronictl remove): the next touch writes it again.
      synchronized (sessionLock) {
        lastMemberValue = null;
      }
    }
    return view;
  }

  private ConsulHttp.Reply kvRead(String key, boolean recurse, Duration within) throws IOException {
    List<String> params = new ArrayList<>();
    if (recurse) {
      params.add("recurse");
    }
    String consistency = settings.consistency().queryParameter();
    if (consistency != null) {
      params.add(consistency);
    }
    ConsulHttp.Reply r = http.get(ConsulHttp.kvPath(key), within, params.toArray(new String[0]));
    if (r.ok() || r.status() == 404) {
      return r;
    }
    throw failure("read " + key, r);
  }

  private Optional<KvEntry> readKey(String operation, String key) {
    ConsulHttp.Reply r = retry.call(operation, t -> kvRead(key, false, t));
    return r.status() == 404
        ? Optional.empty()
        : ConsulJson.kvEntries(r.body()).stream().filter(e -> e.key().equals(key)).findFirst();
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
      Duration want = ConsulTimeouts.sessionTtl(timings);
      if (session == null) {
        createSession(want);
        return true;
      }
      if (!want.equals(sessionTtl)) {
        String old = session;
        createSession(want);
        log.info(
            "consul ttl changed: moved to session {} with TTL {}",
            session,
            ConsulTimeouts.goDuration(want));
        rebind(old);
        destroyQuietly(old);
        return true;
      }
      String id = session;
      boolean alive =
          retry.call(
              "session renew",
              t -> {
                ConsulHttp.Reply r = http.put("/v1/session/renew/" + id, null, t);
                if (r.status() == 404) {
                  return false;
                }
                if (!r.ok()) {
                  throw failure("session renew", r);
                }
                return true;
              });
      if (alive) {
        return true;
      }
      log.warn(
          "consul session {} of member {} had expired: the member key and any leader lock bound"
              + " to it are gone",
          id,
          member);
      createSession(want);
      return false;
    }
  }

  private void createSession(Duration ttl) {
    if (ttl.equals(ConsulTimeouts.MIN_SESSION_TTL)
        && timings.ttl().compareTo(ttl.multipliedBy(2)) < 0
        && !warnedShortTtl) {
      warnedShortTtl = true;
      log.warn(
          "consul: ttl {} s is below 20 s; Consul's shortest session TTL is 10 s, so the leader"
              + " lock lasts up to 20 s without renewal",
          timings.ttl().toSeconds());
    }
    String body = ConsulJson.sessionCreate(path.scope() + "-" + member, ttl, settings.checks());
    session =
        retry.call(
            "session create",
            t -> {
              ConsulHttp.Reply r = http.put("/v1/session/create", body, t);
              if (!r.ok()) {
                throw failure("session create", r);
              }
              return ConsulJson.sessionId(r.body());
            });
    sessionTtl = ttl;
    lastMemberSession = null;
  }

  /** After a ttl change: moves our member key and a leader lock we hold onto the new session. */
  private void rebind(String oldSession) {
    if (lastMemberValue != null) {
      putMember(lastMemberValue);
    }
    readKey("leader read", leaderKey)
        .filter(e -> e.value().equals(member) && oldSession.equals(e.session()))
        .ifPresent(e -> takeOver(e));
  }

  private void destroyQuietly(String id) {
    try {
      http.put("/v1/session/destroy/" + id, null, timings.retryTimeout());
    } catch (RuntimeException e) {
      log.debug("consul: destroying old session {} failed: {}", id, e.toString());
    }
  }

  private String currentSession() {
    synchronized (sessionLock) {
      if (session == null) {
        createSession(ConsulTimeouts.sessionTtl(timings));
      }
      return session;
    }
  }

  // ---- leader lock ----

  /**
   * Runs {@code op} with our session; when Consul says the session is gone, starts a new one and
   * runs it once more. Whatever the lapsed session held is already gone with it (behaviour delete).
   */
  private <T> T withLiveSession(java.util.function.Function<String, T> op) {
    String s = currentSession();
    try {
      return op.apply(s);
    } catch (InvalidSessionException e) {
      synchronized (sessionLock) {
        if (s.equals(session)) {
          log.warn(
              "consul session {} of member {} had expired: the member key and any leader lock"
                  + " bound to it are gone; starting a new session",
              s,
              member);
          createSession(ConsulTimeouts.sessionTtl(timings));
        }
      }
      return op.apply(currentSession());
    }
  }

  @Override
  public boolean tryAcquire() {
    return withLiveSession(this::tryAcquire);
  }

  private boolean tryAcquire(String s) {
    if (acquire("leader acquire", leaderKey, member, s)) {
      return true;
    }
    return readKey("leader read", leaderKey)
        .map(e -> e.value().equals(member) && s.equals(e.session()))
        .orElse(false);
  }

  @Override
  public boolean refresh() {
    return withLiveSession(this::refresh);
  }

  private boolean refresh(String s) {
    Optional<KvEntry> leader = readKey("leader refresh", leaderKey);
    if (leader.isEmpty()) {
      // Our session lapsed and nobody took the lock: take it again, as a create-if-absent.
      return acquire("leader acquire", leaderKey, member, s);
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
    String s;
    synchronized (sessionLock) {
      s = session;
    }
    if (e.session() != null && !e.session().equals(s)) {
      // Locked by an older session of ours: free it with a compare-and-delete, then lock it.
      if (!deleteCas("leader rebind", leaderKey, e.modifyIndex())) {
        return false;
      }
      return acquire("leader acquire", leaderKey, member, s);
    }
    return retry.call(
        "leader refresh",
        t -> {
          ConsulHttp.Reply r =
              http.put(
                  ConsulHttp.kvPath(leaderKey),
                  member,
                  t,
                  "acquire=" + s,
                  "cas=" + e.modifyIndex());
          return boolReply("leader refresh", r);
        });
  }

  @Override
  public boolean release() {
    Optional<KvEntry> leader = readKey("leader read", leaderKey);
    if (leader.isEmpty() || !leader.get().value().equals(member)) {
      return false;
    }
    return deleteCas("leader release", leaderKey, leader.get().modifyIndex());
  }

  private boolean acquire(String operation, String key, String value, String s) {
    return retry.call(
        operation,
        t -> boolReply(operation, http.put(ConsulHttp.kvPath(key), value, t, "acquire=" + s)));
  }

  private boolean deleteCas(String operation, String key, long index) {
    return retry.call(
        operation,
        t -> boolReply(operation, http.delete(ConsulHttp.kvPath(key), t, "cas=" + index)));
  }

  // ---- other keys ----

  @Override
  public void touchMember(Member data) {
    String value = ClusterCodec.encode(data);
    synchronized (sessionLock) {
      withLiveSession(
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

  private void putMember(String value) {
    String s = session;
    boolean ok = acquire("write member " + member, memberKey, value, s);
    if (!ok) {
      // Locked by an older session of ours (after a ttl change): free it, then lock it anew.
      Optional<KvEntry> e = readKey("read member " + member, memberKey);
      if (e.isPresent() && e.get().session() != null && !e.get().session().equals(s)) {
        deleteCas("write member " + member, memberKey, e.get().modifyIndex());
        ok = acquire("write member " + member, memberKey, value, s);
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
    retry.call(
        "delete member " + member,
        t -> {
          ConsulHttp.Reply r = http.delete(ConsulHttp.kvPath(memberKey), t);
          if (!r.ok()) {
            throw failure("delete member " + member, r);
          }
          return null;
        });
    synchronized (sessionLock) {
      lastMemberValue = null;
    }
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    String k = consulKey(path.key(key));
    return retry.call(
        "write " + key.path(),
        t ->
            boolReply(
                "write " + key.path(),
                http.put(ConsulHttp.kvPath(k), value, t, "cas=" + expectedVersion)));
  }

  @Override
  public void put(ClusterKey key, String value) {
    String k = consulKey(path.key(key));
    retry.call(
        "write " + key.path(),
        t -> {
          if (!boolReply("write " + key.path(), http.put(ConsulHttp.kvPath(k), value, t))) {
            throw new DcsException("consul: write of " + k + " refused");
          }
          return null;
        });
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return deleteCas("delete " + key.path(), consulKey(path.key(key)), expectedVersion);
  }

  // ---- changes ----

  @Override
  public long changeCount() {
    return changes.changeCount();
  }

  /**
   * Waits for a change that matters (see {@link ClusterKey#wakesTheLoop}) since the last {@link
   * #read()}, through blocking queries on the cluster prefix run by the watch thread until a change
   * or the latest waiter's deadline. A failed query counts as a change, so that the loop re-reads
   * and learns whether the store is down. The wait itself is interruptible at once.
   */
  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    if (changes.changeCount() > since) {
      return true;
    }
    if (timeout.isZero() || timeout.isNegative() || closed) {
      return false;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (watchState) {
      if (!polling || deadline - pollUntilNanos > 0) {
        pollUntilNanos = deadline;
      }
      if (!polling) {
        polling = true;
        try {
          watcher.execute(this::pollUntilChange);
        } catch (java.util.concurrent.RejectedExecutionException e) {
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
        synchronized (watchState) {
          remaining = pollUntilNanos - System.nanoTime();
        }
        if (remaining <= 0) {
          return;
        }
        poll(Duration.ofNanos(remaining));
      }
    } finally {
      synchronized (watchState) {
        polling = false;
      }
    }
  }

  /** One blocking query, at most {@code remaining} long; bumps the counter on a change. */
  private void poll(Duration remaining) {
    long index;
    synchronized (watchState) {
      index = watchIndex;
    }
    Duration wait = ConsulTimeouts.blockingWait(remaining);
    List<String> params = new ArrayList<>(List.of("recurse"));
    if (index > 0) {
      params.add("index=" + Long.toUnsignedString(index));
      params.add("wait=" + ConsulTimeouts.goDuration(wait));
    }
    String consistency = settings.consistency().queryParameter();
    if (consistency != null) {
      params.add(consistency);
    }
    ConsulHttp.Reply r;
    try {
      r =
          http.get(
              ConsulHttp.kvPath(prefixKey),
              index > 0 ? ConsulTimeouts.blockingReadTimeout(wait) : timings.retryTimeout(),
              params.toArray(new String[0]));
      if (!r.ok() && r.status() != 404) {
        throw failure("watch " + prefixKey, r);
      }
    } catch (RuntimeException | IOException e) {
      if (!closed) {
        log.warn(
            "consul watch on {} at {} lost: {}; the HA loop re-reads",
            prefixKey,
            http.endpoint(),
            DcsRetry.describe(e));
        synchronized (watchState) {
          watchIndex = 0;
          watchSnapshot = null;
        }
        changes.bump();
      }
      return;
    }
    Map<String, Long> now = versions(ConsulJson.kvEntries(r.status() == 404 ? "" : r.body()));
    boolean wake;
    synchronized (watchState) {
      wake = watchSnapshot != null && wakes(watchSnapshot, now);
      watchSnapshot = now;
      // Consul's index can go backwards (a restored snapshot, a new server): start over then.
      watchIndex = r.index() < index ? 0 : r.index();
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

  /** Deregisters the service if we registered it; our keys lapse with the session. */
  @Override
  public void close() {
    closed = true;
    try {
      registrar.deregister();
    } finally {
      watcher.shutdownNow();
      http.close();
    }
  }

  // ---- helpers ----

  private static boolean boolReply(String operation, ConsulHttp.Reply r) throws IOException {
    if (!r.ok()) {
      throw failure(operation, r);
    }
    return ConsulJson.bool(r.body());
  }

  /**
   * A non-2xx answer: 5xx (no cluster leader, a server restarting) and 429 are retried as outages;
   * 403 is our token's fault; anything else is a bad request.
   */
  private static IOException failure(String operation, ConsulHttp.Reply r) {
    String what =
        "consul "
            + operation
            + " answered HTTP "
            + r.status()
            + ": "
            + ConsulJson.abbreviate(r.body());
    if (r.status() == 500 && r.body() != null && r.body().contains("invalid session")) {
      throw new InvalidSessionException(what);
    }
    if (r.status() == 403 || r.status() == 401) {
      throw new DcsConfigurationException(
          what + " (check consul.token and its ACL: write on the key prefix, sessions, services)",
          null);
    }
    if (r.status() >= 500 || r.status() == 429) {
      return new ConsulUnavailableException(what);
    }
    throw new DcsException(what);
  }

  /** A Consul answer that means "try again": the server is there but cannot serve yet. */
  /**
   * Consul refused an {@code acquire} because the session is gone (its TTL or a bound check ended
   * it since the last renewal): a lapsed lease, not an outage, so it is never retried as one.
   */
  static final class InvalidSessionException extends DcsException {
    private static final long serialVersionUID = 1L;

    InvalidSessionException(String message) {
      super(message);
    }
  }

  static final class ConsulUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    ConsulUnavailableException(String message) {
      super(message);
    }
  }

  /** Outages are retried: IO failures and Consul's 5xx; everything else surfaces at once. */
  private static boolean retryable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof javax.net.ssl.SSLHandshakeException) {
        throw new DcsConfigurationException(
            "consul TLS handshake failed (check consul.cacert, consul.cert, consul.key,"
                + " consul.verify and consul.scheme): "
                + DcsRetry.describe(t),
            t);
      }
    }
    return t instanceof IOException || t instanceof TransportException;
  }
}
