package io.pgregent.e2e.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.pgregent.e2e.RegentAgents;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Unplanned failover of a three-member cluster, measured end to end: a client commits one row every
 * 10 ms through a multi-host connection string ({@code targetServerType=primary}, the JDBC form of
 * {@code target_session_attrs=read-write}), the leader's agent and postmaster are killed with
 * SIGKILL, and the benchmark records the first commit on the new primary, the moment the leader key
 * disappeared, and how long the killed member takes to stream again once restarted. Afterwards it
 * reads each agent's RSS and the CPU seconds it used over an idle period.
 *
 * <p>Usage: {@code bench/failover.sh [runs] [ttl loop_wait retry_timeout] [idle_seconds]}
 */
public final class FailoverBenchmark {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int ttl = args.length > 3 ? Integer.parseInt(args[1]) : 10;
    int loopWait = args.length > 3 ? Integer.parseInt(args[2]) : 2;
    int retry = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    int idleSeconds = args.length > 4 ? Integer.parseInt(args[4]) : 300;
    System.out.printf(
        Locale.ROOT,
        "failover benchmark: %d runs, ttl=%d loop_wait=%d retry_timeout=%d, idle %d s%n",
        runs,
        ttl,
        loopWait,
        retry,
        idleSeconds);

    Path base = PostgresTestEnvironment.newBaseDir("regent-bench");
    try (EtcdServer etcd = EtcdServer.start();
        RegentAgents cluster = RegentAgents.start(base, etcd, "bench", ttl, loopWait, retry);
        Client watcher = Client.builder().endpoints(etcd.clientUrl()).build()) {
      // Interrupted (Ctrl-C), the agents still stop their PostgreSQL.
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "bench-cleanup"));
      cluster.awaitHealthy(Duration.ofMinutes(3));
      List<Double> rto = new ArrayList<>();
      List<Double> afterExpiry = new ArrayList<>();
      List<Double> rejoin = new ArrayList<>();
      // The kill lands at a random point of the leader's loop, not right after a renewal that a
      // member's rejoin woke: settle one loop_wait, then a further random part of one.
      java.util.Random phase = new java.util.Random(42);
      for (int run = 1; run <= runs; run++) {
        LockSupport.parkNanos(
            Duration.ofMillis(loopWait * 1000L + phase.nextInt(loopWait * 1000)).toNanos());
        String leader = cluster.leader().orElseThrow();
        AtomicLong leaderGoneAt = new AtomicLong();
        Watch.Watcher w =
            watcher
                .getWatchClient()
                .watch(
                    bytes("/service/bench/leader"),
                    WatchOption.DEFAULT,
                    r -> {
                      for (WatchEvent e : r.getEvents()) {
                        if (e.getEventType() == WatchEvent.EventType.DELETE) {
                          leaderGoneAt.compareAndSet(0, System.nanoTime());
                        }
                      }
                    });
        Writer writer = new Writer(cluster.multiHostUrl(), cluster.agent(leader).pgPort());
        Thread t = new Thread(writer, "bench-writer");
        t.start();
        writer.awaitCommits(50);
        long killedAt = System.nanoTime();
        writer.markKill(killedAt);
        cluster.agent(leader).crash();
        long firstCommit = writer.awaitFirstCommitAfterKill(Duration.ofSeconds(ttl * 4L + 60));
        writer.stop();
        t.join();
        w.close();
        double r = seconds(firstCommit - killedAt);
        double a = leaderGoneAt.get() == 0 ? Double.NaN : seconds(firstCommit - leaderGoneAt.get());
        rto.add(r);
        afterExpiry.add(a);
        long restartAt = System.nanoTime();
        cluster.agent(leader).start();
        cluster.awaitStreaming(leader, Duration.ofMinutes(3));
        double j = seconds(System.nanoTime() - restartAt);
        rejoin.add(j);
        System.out.printf(
            Locale.ROOT,
            "run %d: killed %s; RTO %.3f s, after lease expiry %.3f s, rejoin %.3f s, new leader %s%n",
            run,
            leader,
            r,
            a,
            j,
            cluster.leader().orElse("?"));
        cluster.awaitHealthy(Duration.ofMinutes(3));
      }
      summary("unplanned failover RTO (s)", rto);
      summary("RTO after the leader key expired (s)", afterExpiry);
      summary("killed member restarted -> streaming (s)", rejoin);

      if (idleSeconds > 0) {
        List<Long> pids = cluster.agentPids();
        List<Double> cpuBefore = new ArrayList<>();
        for (long pid : pids) {
          cpuBefore.add(cpuSeconds(pid));
        }
        long end = System.nanoTime() + Duration.ofSeconds(idleSeconds).toNanos();
        while (System.nanoTime() < end) {
          LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
        }
        for (int i = 0; i < pids.size(); i++) {
          long pid = pids.get(i);
          System.out.printf(
              Locale.ROOT,
              "agent pid %d after %d s idle: RSS %.1f MB, CPU %.2f s%n",
              pid,
              idleSeconds,
              rssMegabytes(pid),
              cpuSeconds(pid) - cpuBefore.get(i));
        }
      }
    } finally {
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      } else {
        System.out.println("kept the benchmark's files in " + base);
      }
    }
  }

  /** Commits one row every 10 ms, reconnecting on any error, and records commit times. */
  static final class Writer implements Runnable {
    private final String url;
    private final int oldPrimaryPort;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong killAt = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstAfterKill = new AtomicLong();

    /** Only a commit on another server than {@code oldPrimaryPort} counts as recovered. */
    Writer(String url, int oldPrimaryPort) {
      this.url = url;
      this.oldPrimaryPort = oldPrimaryPort;
    }

    @Override
    public void run() {
      Connection c = null;
      int port = 0;
      long n = 0;
      while (running.get()) {
        try {
          if (c == null) {
            c = DriverManager.getConnection(url, "postgres", "su-secret");
            try (Statement st = c.createStatement()) {
              st.execute("CREATE TABLE IF NOT EXISTS bench (id bigint, at timestamptz)");
              try (var rs = st.executeQuery("SELECT inet_server_port()")) {
                rs.next();
                port = rs.getInt(1);
              }
            }
          }
          long start = System.nanoTime();
          try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO bench VALUES (" + (++n) + ", now())");
          }
          long done = System.nanoTime();
          commits.incrementAndGet();
          if (start > killAt.get() && port != oldPrimaryPort) {
            firstAfterKill.compareAndSet(0, done);
          }
          LockSupport.parkNanos(Math.max(0, 10_000_000 - (System.nanoTime() - start)));
        } catch (Exception e) {
          if (c != null) {
            try {
              c.close();
            } catch (Exception ignored) {
              // reconnecting anyway
            }
          }
          c = null;
          LockSupport.parkNanos(10_000_000);
        }
      }
      if (c != null) {
        try {
          c.close();
        } catch (Exception ignored) {
          // done
        }
      }
    }

    void markKill(long at) {
      killAt.set(at);
    }

    void awaitCommits(long count) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (commits.get() < count) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the writer could not commit");
        }
        LockSupport.parkNanos(10_000_000);
      }
    }

    long awaitFirstCommitAfterKill(Duration bound) {
      long deadline = System.nanoTime() + bound.toNanos();
      while (firstAfterKill.get() == 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no commit on a new primary within " + bound);
        }
        LockSupport.parkNanos(5_000_000);
      }
      return firstAfterKill.get();
    }

    void stop() {
      running.set(false);
    }
  }

  static void summary(String what, List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.removeIf(d -> d.isNaN());
    Collections.sort(v);
    if (v.isEmpty()) {
      System.out.println(what + ": no values");
      return;
    }
    double median =
        v.size() % 2 == 1
            ? v.get(v.size() / 2)
            : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
    System.out.printf(
        Locale.ROOT,
        "%s: min %.3f  median %.3f  max %.3f  (n=%d)%n",
        what,
        v.get(0),
        median,
        v.get(v.size() - 1),
        v.size());
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  static double rssMegabytes(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** utime + stime of a process, in seconds (clock ticks of 100 Hz). */
  static double cpuSeconds(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
