package io.pgregent.dcs.consul;

import com.ecwid.consul.transport.TransportException;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.dcs.consul.ConsulJson.KvEntry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Consul's key-value API as {@link ConsulDcs} uses it: reads at the configured consistency, writes
 * bound to a session ({@code acquire}) or to a {@code ModifyIndex} ({@code cas}), each under the
 * store's retry deadline, and what each non-2xx answer means.
 */
final class ConsulKv {

  static final String STORE = "consul";

  private final ConsulSettings settings;
  private final ConsulHttp http;
  private final DcsRetry retry;

  ConsulKv(ConsulSettings settings, ConsulHttp http, DcsRetry retry) {
    this.settings = Objects.requireNonNull(settings);
    this.http = Objects.requireNonNull(http);
    this.retry = Objects.requireNonNull(retry);
  }

  /** Reads a key, or with {@code recurse} every key below it; 404 (nothing there) is an answer. */
  ConsulHttp.Reply read(String operation, String key, boolean recurse) {
    return retry.call(operation, t -> read(key, recurse, t));
  }

  private ConsulHttp.Reply read(String key, boolean recurse, Duration within) throws IOException {
    List<String> params = new ArrayList<>();
    if (recurse) {
      params.add("recurse");
    }
    addConsistency(params);
    ConsulHttp.Reply r = http.get(ConsulHttp.kvPath(key), within, params.toArray(new String[0]));
    if (r.ok() || r.status() == 404) {
      return r;
    }
    throw failure("read " + key, r);
  }

  /** Adds the {@code consistency} setting's query parameter, when it has one. */
  void addConsistency(List<String> params) {
    String consistency = settings.consistency().queryParameter();
    if (consistency != null) {
      params.add(consistency);
    }
  }

  /** One key, if it exists. */
  Optional<KvEntry> readKey(String operation, String key) {
    ConsulHttp.Reply r = read(operation, key, false);
    return r.status() == 404 ? Optional.empty() : entry(r.body(), key);
  }

  private static Optional<KvEntry> entry(String body, String key) {
    return ConsulJson.kvEntries(body).stream().filter(e -> e.key().equals(key)).findFirst();
  }

  /** Writes {@code value} locked by {@code session}; false when another session holds the key. */
  boolean acquire(String operation, String key, String value, String session) {
    return retry.call(
        operation,
        t ->
            boolReply(operation, http.put(ConsulHttp.kvPath(key), value, t, "acquire=" + session)));
  }

  /** {@link #acquire} only if the key still has {@code index} (it holds our name already). */
  boolean acquireAt(String operation, String key, String value, String session, long index) {
    return retry.call(
        operation,
        t ->
            boolReply(
                operation,
                http.put(ConsulHttp.kvPath(key), value, t, "acquire=" + session, "cas=" + index)));
  }

  /** Writes {@code value} only if the key has {@code index} (0: only if it is absent). */
  boolean compareAndSet(String operation, String key, long index, String value) {
    return retry.call(
        operation,
        t -> boolReply(operation, http.put(ConsulHttp.kvPath(key), value, t, "cas=" + index)));
  }

  /** Writes {@code value} whatever the key holds. */
  void put(String operation, String key, String value) {
    retry.call(
        operation,
        t -> {
          if (!boolReply(operation, http.put(ConsulHttp.kvPath(key), value, t))) {
            throw new DcsException("consul: write of " + key + " refused");
          }
          return null;
        });
  }

  /** Deletes the key only if it has {@code index}. */
  boolean deleteCas(String operation, String key, long index) {
    return retry.call(
        operation,
        t -> boolReply(operation, http.delete(ConsulHttp.kvPath(key), t, "cas=" + index)));
  }

  /** Deletes the key whatever it holds; an absent key is no error. */
  void delete(String operation, String key) {
    retry.call(
        operation,
        t -> {
          ConsulHttp.Reply r = http.delete(ConsulHttp.kvPath(key), t);
          if (!r.ok()) {
            throw failure(operation, r);
          }
          return null;
        });
  }

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
  static IOException failure(String operation, ConsulHttp.Reply r) {
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

  /** Outages are retried: IO failures and Consul's 5xx; everything else surfaces at once. */
  static boolean retryable(Throwable t) {
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

  /** A Consul answer that means "try again": the server is there but cannot serve yet. */
  static final class ConsulUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    ConsulUnavailableException(String message) {
      super(message);
    }
  }
}
