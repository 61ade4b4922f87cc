package io.pgregent.dcs.consul;

import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.consul.ConsulKv.InvalidSessionException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member's Consul session, the lease its leader lock and member key are bound to: named {@code
 * <scope>-<name>}, TTL ttl/2 (Consul lets a session live up to twice its TTL), behaviour {@code
 * delete}. Renewed only by {@link #renew}, once per HA cycle, never in the background; a new ttl
 * moves the member onto a new session. Callers that must not see the session change under them hold
 * this object's monitor.
 */
final class ConsulSession {

  private static final Logger log = LoggerFactory.getLogger(ConsulSession.class);

  private final ConsulSettings settings;
  private final ConsulHttp http;
  private final DcsRetry retry;
  private final String name;
  private final String member;
  private final Supplier<DcsTimings> timings;
  private final Consumer<String> rebind;

  private String session;
  private Duration sessionTtl;
  private boolean warnedShortTtl;

  /**
   * @param rebind moves what the old session (its argument) held onto the new one after a ttl
   *     change; runs holding this object's monitor
   */
  ConsulSession(
      ConsulSettings settings,
      ConsulHttp http,
      DcsRetry retry,
      String scope,
      String member,
      Supplier<DcsTimings> timings,
      Consumer<String> rebind) {
    this.settings = Objects.requireNonNull(settings);
    this.http = Objects.requireNonNull(http);
    this.retry = Objects.requireNonNull(retry);
    this.name = scope + "-" + member;
    this.member = Objects.requireNonNull(member);
    this.timings = Objects.requireNonNull(timings);
    this.rebind = Objects.requireNonNull(rebind);
  }

  /**
   * Renews the session, or creates it; false when it had expired (what it held is gone).
   *
   * @see io.pgregent.core.dcs.LeaderLock#renewSession
   */
  synchronized boolean renew() {
    Duration want = ConsulTimeouts.sessionTtl(timings.get());
    if (session == null) {
      create(want);
      return true;
    }
    if (!want.equals(sessionTtl)) {
      String old = session;
      create(want);
      log.info(
          "consul ttl changed: moved to session {} with TTL {}",
          session,
          ConsulTimeouts.goDuration(want));
      rebind.accept(old);
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
                throw ConsulKv.failure("session renew", r);
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
    create(want);
    return false;
  }

  private void create(Duration ttl) {
    DcsTimings t = timings.get();
    if (ttl.equals(ConsulTimeouts.MIN_SESSION_TTL)
        && t.ttl().compareTo(ttl.multipliedBy(2)) < 0
        && !warnedShortTtl) {
      warnedShortTtl = true;
      log.warn(
          "consul: ttl {} s is below 20 s; Consul's shortest session TTL is 10 s, so the leader"
              + " lock lasts up to 20 s without renewal",
          t.ttl().toSeconds());
    }
    String body = ConsulJson.sessionCreate(name, ttl, settings.checks());
    session =
        retry.call(
            "session create",
            within -> {
              ConsulHttp.Reply r = http.put("/v1/session/create", body, within);
              if (!r.ok()) {
                throw ConsulKv.failure("session create", r);
              }
              return ConsulJson.sessionId(r.body());
            });
    sessionTtl = ttl;
  }

  private void destroyQuietly(String id) {
    try {
      http.put("/v1/session/destroy/" + id, null, timings.get().retryTimeout());
    } catch (RuntimeException e) {
      log.debug("consul: destroying old session {} failed: {}", id, e.toString());
    }
  }

  /** The live session's id, created when there is none yet. */
  synchronized String current() {
    if (session == null) {
      create(ConsulTimeouts.sessionTtl(timings.get()));
    }
    return session;
  }

  /**
   * Runs {@code op} with our session; when Consul says the session is gone, starts a new one and
   * runs it once more. Whatever the lapsed session held is already gone with it (behaviour delete).
   */
  <T> T withLive(Function<String, T> op) {
    String s = current();
    try {
      return op.apply(s);
    } catch (InvalidSessionException e) {
      synchronized (this) {
        if (s.equals(session)) {
          log.warn(
              "consul session {} of member {} had expired: the member key and any leader lock"
                  + " bound to it are gone; starting a new session",
              s,
              member);
          create(ConsulTimeouts.sessionTtl(timings.get()));
        }
      }
      return op.apply(current());
    }
  }
}
