package io.pgregent.e2e.bench;

import io.pgregent.e2e.ClusterMember;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * How soon a newly promoted member's {@code /primary} answers 200 after its PostgreSQL accepts
 * writes: two threads per watched member poll every {@link #PERIOD_NANOS}, one asking PostgreSQL
 * {@code pg_is_in_recovery()} over a kept connection, one sending {@code GET /primary} over a plain
 * socket (one blocking request, as a load balancer's check does, without an HTTP client's own
 * threads), and each records the first poll whose answer said "primary", at the middle of that poll
 * (the answer was made somewhere between sending and receiving).
 */
final class PromotionWatch implements AutoCloseable {

  static final long PERIOD_NANOS = 2_000_000L;
  private static final Duration POLL = Duration.ofMillis(5);

  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, Long> writableAt = new ConcurrentHashMap<>();
  private final Map<String, Long> primaryAt = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  /** Watches {@code members} (e.g. every member but the old primary) from now on. */
  PromotionWatch(List<? extends ClusterMember> members) {
    for (ClusterMember m : members) {
      threads.add(start("watch-sql-" + m.name(), () -> pollWritable(m)));
      threads.add(start("watch-rest-" + m.name(), () -> pollPrimary(m)));
    }
  }

  private Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void pollWritable(ClusterMember m) {
    Connection c = null;
    while (running && !writableAt.containsKey(m.name())) {
      long started = System.nanoTime();
      try {
        if (c == null) {
          c =
              DriverManager.getConnection(
                  "jdbc:postgresql://127.0.0.1:"
                      + m.pgPort()
                      + "/postgres?connectTimeout=1&socketTimeout=1",
                  "postgres",
                  "su-secret");
        }
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            writableAt.putIfAbsent(m.name(), started + (System.nanoTime() - started) / 2);
          }
        }
      } catch (Exception e) {
        BenchSupport.closeQuietly(c);
        c = null;
      }
      pace(started);
    }
    BenchSupport.closeQuietly(c);
  }

  private void pollPrimary(ClusterMember m) {
    while (running && !primaryAt.containsKey(m.name())) {
      long started = System.nanoTime();
      if (primaryStatus(m.apiPort()) == 200) {
        primaryAt.putIfAbsent(m.name(), started + (System.nanoTime() - started) / 2);
      }
      pace(started);
    }
  }

  /** The status of one {@code GET /primary} on a new connection, -1 when none came. */
  static int primaryStatus(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write(
          "GET /primary HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // "HTTP/1.1 200 ..."
      byte[] head = socket.getInputStream().readNBytes(12);
      if (head.length < 12) {
        return -1;
      }
      return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
    } catch (Exception e) {
      return -1;
    }
  }

  private static void pace(long started) {
    long left = PERIOD_NANOS - (System.nanoTime() - started);
    if (left > 0) {
      LockSupport.parkNanos(left);
    }
  }

  /**
   * For {@code member}: nanoseconds from its PostgreSQL's first writable answer to its first {@code
   * /primary} 200 (negative when the health check said "primary" first), once both were seen.
   */
  OptionalLong delayNanos(String member) {
    Long w = writableAt.get(member);
    Long p = primaryAt.get(member);
    return w == null || p == null ? OptionalLong.empty() : OptionalLong.of(p - w);
  }

  /** Waits until {@code member} was seen both writable and answering 200, within {@code nanos}. */
  boolean await(String member, long nanos) {
    try {
      Awaitility.await()
          .atMost(Duration.ofNanos(nanos))
          .pollInterval(POLL)
          .until(() -> delayNanos(member).isPresent());
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /**
   * Waits until any watched member was seen both writable and answering 200, within {@code nanos};
   * returns its delay as {@link #delayNanos} does.
   */
  OptionalLong awaitAny(long nanos) {
    try {
      return Awaitility.await()
          .atMost(Duration.ofNanos(nanos))
          .pollInterval(POLL)
          .until(
              () ->
                  writableAt.keySet().stream()
                      .map(this::delayNanos)
                      .filter(OptionalLong::isPresent)
                      .findFirst()
                      .orElse(OptionalLong.empty()),
              OptionalLong::isPresent);
    } catch (ConditionTimeoutException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
