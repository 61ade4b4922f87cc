package io.pgregent.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Samples every member every 100 ms, all members at once: is its PostgreSQL writable ({@code
 * pg_is_in_recovery()} false) and does its {@code /primary} answer 200. Counts the samples in which
 * two members were writable, or two answered 200, and how long each lasted.
 */
public final class SplitBrainChecker implements AutoCloseable {

  private static final long PERIOD_NANOS = 100_000_000L;

  private final List<? extends ClusterMember> members;
  private final ExecutorService pool;
  private final Thread sampler;
  private final Map<String, Connection> connections = new HashMap<>();
  private volatile boolean running = true;
  private int samples;
  private int twoWritable;
  private int twoPrimary;
  private long twoWritableNanos;
  private long twoPrimaryNanos;
  private final List<String> events = new ArrayList<>();

  private final String user;
  private final String password;

  public SplitBrainChecker(List<? extends ClusterMember> members) {
    this(members, "postgres", "su-secret");
  }

  /** A checker that connects as {@code user} (e.g. while the superuser is locked out). */
  public SplitBrainChecker(List<? extends ClusterMember> members, String user, String password) {
    this.user = user;
    this.password = password;
    this.members = List.copyOf(members);
    this.pool = Executors.newFixedThreadPool(members.size() * 2);
    this.sampler = new Thread(this::run, "split-brain-checker");
    this.sampler.setDaemon(true);
    this.sampler.start();
  }

  private void run() {
    long last = System.nanoTime();
    while (running) {
      long started = System.nanoTime();
      List<Future<Boolean>> writable = new ArrayList<>();
      List<Future<Boolean>> primary = new ArrayList<>();
      for (ClusterMember m : members) {
        writable.add(pool.submit(() -> writable(m)));
        primary.add(pool.submit(() -> m.isAlive() && m.status("/primary") == 200));
      }
      List<String> w = new ArrayList<>();
      List<String> p = new ArrayList<>();
      for (int i = 0; i < members.size(); i++) {
        if (get(writable.get(i))) {
          w.add(members.get(i).name());
        }
        if (get(primary.get(i))) {
          p.add(members.get(i).name());
        }
      }
      long now = System.nanoTime();
      synchronized (this) {
        samples++;
        if (w.size() > 1) {
          twoWritable++;
          twoWritableNanos += now - last;
          events.add("writable " + w);
        }
        if (p.size() > 1) {
          twoPrimary++;
          twoPrimaryNanos += now - last;
          events.add("/primary 200 " + p);
        }
      }
      last = now;
      long sleep = PERIOD_NANOS - (System.nanoTime() - started);
      if (sleep > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(sleep);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static boolean get(Future<Boolean> f) {
    try {
      return f.get(3, TimeUnit.SECONDS);
    } catch (Exception e) {
      f.cancel(true);
      return false;
    }
  }

  private boolean writable(ClusterMember m) {
    Connection c;
    synchronized (connections) {
      c = connections.get(m.name());
    }
    try {
      if (c == null) {
        c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:"
                    + m.pgPort()
                    + "/postgres?connectTimeout=1&socketTimeout=1&loginTimeout=1",
                user,
                password);
        synchronized (connections) {
          connections.put(m.name(), c);
        }
      }
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        return !rs.getBoolean(1);
      }
    } catch (Exception e) {
      synchronized (connections) {
        connections.remove(m.name());
      }
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // already broken
        }
      }
      return false;
    }
  }

  public synchronized int samples() {
    return samples;
  }

  /** Samples with more than one writable PostgreSQL. */
  public synchronized int twoWritable() {
    return twoWritable;
  }

  /** Samples with more than one member answering 200 on {@code /primary}. */
  public synchronized int twoPrimary() {
    return twoPrimary;
  }

  public synchronized Duration twoWritableTime() {
    return Duration.ofNanos(twoWritableNanos);
  }

  public synchronized Duration twoPrimaryTime() {
    return Duration.ofNanos(twoPrimaryNanos);
  }

  public synchronized String report() {
    return samples
        + " samples; two writable: "
        + twoWritable
        + " ("
        + twoWritableTime().toMillis()
        + " ms); two /primary 200: "
        + twoPrimary
        + " ("
        + twoPrimaryTime().toMillis()
        + " ms) "
        + (events.size() > 10 ? events.subList(0, 10) + "…" : events);
  }

  /** No sample saw two writable primaries, and none saw two members answering 200 on /primary. */
  public void assertOnePrimaryThroughout() {
    org.assertj.core.api.Assertions.assertThat(twoWritable()).as(this::report).isZero();
    org.assertj.core.api.Assertions.assertThat(twoPrimary()).as(this::report).isZero();
  }

  @Override
  public void close() {
    running = false;
    sampler.interrupt();
    try {
      sampler.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdownNow();
    synchronized (connections) {
      connections
          .values()
          .forEach(
              c -> {
                try {
                  c.close();
                } catch (Exception ignored) {
                  // closing anyway
                }
              });
      connections.clear();
    }
  }
}
