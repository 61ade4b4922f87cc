package io.pgregent.dcs.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * Builds the jetcd client from the {@code etcd3} settings and tells which failures {@link DcsRetry}
 * may retry: the connection's side of {@link EtcdDcs}.
 */
final class EtcdClients {

  private EtcdClients() {}

  static Client build(EtcdSettings settings, DcsTimings timings, KeepAliveStream keepAlives) {
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

  /**
   * Outages are retried; a refusal of our credentials or certificates is not, and surfaces as a
   * {@link DcsConfigurationException} naming the settings to fix.
   */
  static boolean retryable(Throwable t) {
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

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
