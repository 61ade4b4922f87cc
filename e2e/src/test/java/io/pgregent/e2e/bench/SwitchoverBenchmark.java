package io.pgregent.e2e.bench;

import static org.awaitility.Awaitility.await;

import io.pgregent.e2e.AgentCluster;
import io.pgregent.e2e.RegentAgent;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Planned switchover of a three-member cluster, measured from a client's side: a writer commits one
 * row every 10 ms through a multi-host connection string ({@code targetServerType=primary}, the
 * JDBC form of {@code target_session_attrs=read-write}; {@code hostRecheckSeconds=0} so that, like
 * libpq, it does not remember a host's former role), and {@code POST /switchover} moves the leader
 * to another member. Reported per run: the longest gap between two commits around the switchover
 * (write unavailability), the wall time of the switchover call, and how soon the candidate's {@code
 * /primary} answered 200 after its PostgreSQL accepted writes ({@link PromotionWatch}).
 *
 * <p>Usage: {@code bench/switchover.sh [runs] [ttl loop_wait retry_timeout]}
 */
public final class SwitchoverBenchmark {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int ttl = args.length > 3 ? Integer.parseInt(args[1]) : 30;
    int loopWait = args.length > 3 ? Integer.parseInt(args[2]) : 10;
    int retry = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    System.out.printf(
        Locale.ROOT,
        "switchover benchmark: %d runs, ttl=%d loop_wait=%d retry_timeout=%d%n",
        runs,
        ttl,
        loopWait,
        retry);
    Path base = PostgresTestEnvironment.newBaseDir("regent-bench-switchover");
    try (EtcdServer etcd = EtcdServer.start();
        AgentCluster<RegentAgent> cluster =
            AgentCluster.regent(base, etcd, "bench", ttl, loopWait, retry)) {
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "bench-cleanup"));
      cluster.awaitHealthy(Duration.ofMinutes(3));
      List<Double> gaps = new ArrayList<>();
      List<Double> calls = new ArrayList<>();
      List<Double> healthy = new ArrayList<>();
      List<String> names = List.of("pg0", "pg1", "pg2");
      for (int run = 1; run <= runs; run++) {
        String leader = cluster.leader().orElseThrow();
        String candidate = names.get((names.indexOf(leader) + 1) % names.size());
        Writer writer = new Writer(cluster.multiHostUrl() + "&hostRecheckSeconds=0");
        Thread t = new Thread(writer, "bench-writer");
        t.start();
        writer.awaitCommits(100);
        PromotionWatch watch = new PromotionWatch(List.of(cluster.agent(candidate)));
        long start = System.nanoTime();
        RegentAgent.Answer answer =
            cluster
                .agent(leader)
                .send(
                    "POST",
                    "/switchover",
                    "{\"leader\": \"" + leader + "\", \"candidate\": \"" + candidate + "\"}",
                    Duration.ofSeconds(120));
        long callEnd = System.nanoTime();
        boolean seen = watch.await(candidate, Duration.ofMinutes(1).toNanos());
        watch.close();
        double primaryAfterWritable =
            seen ? FailoverBenchmark.seconds(watch.delayNanos(candidate).getAsLong()) : Double.NaN;
        healthy.add(primaryAfterWritable);
        if (answer.status() != 200) {
          writer.stop();
          t.join();
          throw new IllegalStateException("switchover failed: " + answer);
        }
        writer.awaitCommitsAfter(callEnd, 100, Duration.ofMinutes(2));
        writer.stop();
        t.join();
        double gap = FailoverBenchmark.seconds(writer.longestGapAfter(start - 50_000_000L));
        double call = FailoverBenchmark.seconds(callEnd - start);
        gaps.add(gap);
        calls.add(call);
        System.out.printf(
            Locale.ROOT,
            "run %d: %s -> %s: longest write gap %.3f s, switchover call %.3f s,"
                + " /primary 200 %.3f s after writable (%s)%n",
            run,
            leader,
            candidate,
            gap,
            call,
            primaryAfterWritable,
            answer.body());
        cluster.awaitHealthy(Duration.ofMinutes(3));
      }
      FailoverBenchmark.summary("switchover: longest gap between commits (s)", gaps);
      FailoverBenchmark.summary("switchover: POST /switchover wall time (s)", calls);
      FailoverBenchmark.summary(
          "switchover: candidate's /primary 200 after its PostgreSQL is writable (s)", healthy);
    } finally {
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      } else {
        System.out.println("kept the benchmark's files in " + base);
      }
    }
  }

  /** Commits one row every 10 ms, reconnecting on any error, and records every commit's time. */
  static final class Writer implements Runnable {
    private final String url;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Long> commits = new ConcurrentLinkedQueue<>();

    Writer(String url) {
      this.url = url;
    }

    @Override
    public void run() {
      Connection c = null;
      long n = 0;
      while (running.get()) {
        long start = System.nanoTime();
        try {
          if (c == null) {
            c = DriverManager.getConnection(url, "postgres", "su-secret");
            try (Statement st = c.createStatement()) {
              st.execute("CREATE TABLE IF NOT EXISTS bench (id bigint, at timestamptz)");
            }
          }
          try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO bench VALUES (" + (++n) + ", now())");
          }
          commits.add(System.nanoTime());
        } catch (Exception e) {
          BenchSupport.closeQuietly(c);
          c = null;
        }
        LockSupport.parkNanos(Math.max(0, 10_000_000 - (System.nanoTime() - start)));
      }
      BenchSupport.closeQuietly(c);
    }

    void awaitCommits(int count) {
      awaitCommitsAfter(0, count, Duration.ofMinutes(2));
    }

    void awaitCommitsAfter(long since, int count, Duration bound) {
      await("the writer's commits")
          .atMost(bound)
          .pollInterval(Duration.ofMillis(10))
          .until(() -> commits.stream().filter(at -> at > since).count() >= count);
    }

    /** The longest time between two consecutive commits from {@code since} on. */
    long longestGapAfter(long since) {
      long longest = 0;
      long previous = since;
      for (long at : commits) {
        if (at < since) {
          continue;
        }
        longest = Math.max(longest, at - previous);
        previous = at;
      }
      return longest;
    }

    void stop() {
      running.set(false);
    }
  }
}
