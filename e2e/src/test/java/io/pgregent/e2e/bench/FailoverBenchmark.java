package io.pgregent.e2e.bench;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.pgregent.e2e.AgentCluster;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Unplanned failover of a three-member cluster, measured end to end: a client commits one row every
 * 10 ms through a multi-host connection string ({@code targetServerType=primary}, the JDBC form of
 * {@code target_session_attrs=read-write}), the leader's agent and postmaster are killed with
 * SIGKILL, and the benchmark records the first commit on the new primary, the moment the leader key
 * disappeared, and how long the killed member takes to stream again once restarted. Afterwards it
 * reads each agent's RSS and the CPU seconds it used over an idle period.
 *
 * <p>The same harness drives Regent agents, real Patroni agents, or both side by side ({@code
 * --agent both}: two clusters on one etcd, runs interleaved, each agent's kills at the same seeded
 * points of its leader's loop).
 *
 * <p>Usage: {@code bench/failover.sh [--agent regent|patroni|both] [runs] [ttl loop_wait
 * retry_timeout] [idle_seconds]}
 */
public final class FailoverBenchmark {

  /** One agent's cluster and what was measured on it. */
  static final class Series {
    final String agent;
    final AgentCluster<?> cluster;
    // The kill lands at a random point of the leader's loop, not right after a renewal that a
    // member's rejoin woke: settle one loop_wait, then a further random part of one. Same seed for
    // every agent, so each sees the same phases.
    final Random phase = new Random(42);
    final List<Double> rto = new ArrayList<>();
    final List<Double> expiry = new ArrayList<>();
    final List<Double> afterExpiry = new ArrayList<>();
    final List<Double> rejoin = new ArrayList<>();
    final List<Double> primaryAfterWritable = new ArrayList<>();
    long grantedTtl = -1;

    Series(String agent, AgentCluster<?> cluster) {
      this.agent = agent;
      this.cluster = cluster;
    }
  }

  public static void main(String[] argv) throws Exception {
    List<String> args = new ArrayList<>(List.of(argv));
    String which = BenchSupport.takeOption(args, "--agent", "regent", "regent, patroni or both");
    List<String> agents =
        switch (which) {
          case "regent" -> List.of("regent");
          case "patroni" -> List.of("patroni");
          case "both" -> List.of("regent", "patroni");
          default ->
              throw new IllegalArgumentException(
                  "--agent: expected regent, patroni or both, got " + which);
        };
    int runs = args.size() > 0 ? Integer.parseInt(args.get(0)) : 5;
    int ttl = args.size() > 3 ? Integer.parseInt(args.get(1)) : 10;
    int loopWait = args.size() > 3 ? Integer.parseInt(args.get(2)) : 2;
    int retry = args.size() > 3 ? Integer.parseInt(args.get(3)) : 4;
    int idleSeconds = args.size() > 4 ? Integer.parseInt(args.get(4)) : 300;
    System.out.printf(
        Locale.ROOT,
        "failover benchmark (%s): %d runs, ttl=%d loop_wait=%d retry_timeout=%d, idle %d s%n",
        String.join(" and ", agents),
        runs,
        ttl,
        loopWait,
        retry,
        idleSeconds);

    Path base = PostgresTestEnvironment.newBaseDir("regent-bench");
    List<Series> series = new CopyOnWriteArrayList<>();
    try (EtcdServer etcd = EtcdServer.start();
        Client watcher = Client.builder().endpoints(etcd.clientUrl()).build()) {
      // Interrupted (Ctrl-C), the agents still stop their PostgreSQL.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(() -> series.forEach(s -> s.cluster.close()), "bench-cleanup"));
      try {
        for (String agent : agents) {
          Path dir = Files.createDirectory(base.resolve(agent));
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
          String scope = "bench-" + agent;
          series.add(
              new Series(
                  agent,
                  agent.equals("patroni")
                      ? AgentCluster.patroni(dir, etcd, scope, ttl, loopWait, retry)
                      : AgentCluster.regent(dir, etcd, scope, ttl, loopWait, retry)));
        }
        for (Series s : series) {
          s.cluster.awaitHealthy(Duration.ofMinutes(3));
          s.grantedTtl = leaderLeaseTtl(watcher, s.cluster.leaderKey());
          System.out.printf(
              Locale.ROOT,
              "%s: leader key's lease granted with a TTL of %d s%n",
              s.agent,
              s.grantedTtl);
        }
        for (int run = 1; run <= runs; run++) {
          for (Series s : series) {
            failover(s, run, watcher, loopWait, ttl);
          }
        }
        for (Series s : series) {
          System.out.printf(
              Locale.ROOT,
              "== %s (ttl=%d loop_wait=%d retry_timeout=%d; leader lease TTL %d s)%n",
              s.agent,
              ttl,
              loopWait,
              retry,
              s.grantedTtl);
          summary(s.agent + " unplanned failover RTO (s)", s.rto);
          summary(s.agent + " kill -> leader key gone (s)", s.expiry);
          summary(s.agent + " RTO after the leader key expired (s)", s.afterExpiry);
          summary(s.agent + " killed member restarted -> streaming (s)", s.rejoin);
          summary(
              s.agent + " new primary's /primary 200 after its PostgreSQL is writable (s)",
              s.primaryAfterWritable);
        }

        if (idleSeconds > 0) {
          List<Long> pids = new ArrayList<>();
          List<String> owners = new ArrayList<>();
          for (Series s : series) {
            for (long pid : s.cluster.agentPids()) {
              pids.add(pid);
              owners.add(s.agent);
            }
          }
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
                "%s agent pid %d after %d s idle: RSS %.1f MB, CPU %.2f s%n",
                owners.get(i),
                pid,
                idleSeconds,
                rssMegabytes(pid),
                cpuSeconds(pid) - cpuBefore.get(i));
          }
        }
      } finally {
        // Before etcd stops: Patroni waits for its store while shutting down.
        series.forEach(s -> s.cluster.close());
      }
    } finally {
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      } else {
        System.out.println("kept the benchmark's files in " + base);
      }
    }
  }

  /** One failover of {@code s}'s cluster: kill its leader, wait for writes, restart, rejoin. */
  private static void failover(Series s, int run, Client watcher, int loopWait, int ttl)
      throws Exception {
    AgentCluster<?> cluster = s.cluster;
    LockSupport.parkNanos(
        Duration.ofMillis(loopWait * 1000L + s.phase.nextInt(loopWait * 1000)).toNanos());
    String leader = cluster.leader().orElseThrow();
    AtomicLong leaderGoneAt = new AtomicLong();
    Watch.Watcher w =
        watcher
            .getWatchClient()
            .watch(
                bytes(cluster.leaderKey()),
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
    // Close polling from the moment the lease is gone: the promotion comes after it.
    try {
      await("the leader key gone")
          .atMost(Duration.ofSeconds(ttl * 4L + 60))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> leaderGoneAt.get() != 0);
    } catch (ConditionTimeoutException e) {
      // measured anyway: the promotion watch below reports what it saw
    }
    PromotionWatch watch =
        new PromotionWatch(
            cluster.members().stream().filter(m -> !m.name().equals(leader)).toList());
    long firstCommit = writer.awaitFirstCommitAfterKill(Duration.ofSeconds(ttl * 4L + 60));
    OptionalLong healthy = watch.awaitAny(Duration.ofSeconds(30).toNanos());
    watch.close();
    double h = healthy.isPresent() ? seconds(healthy.getAsLong()) : Double.NaN;
    s.primaryAfterWritable.add(h);
    writer.stop();
    t.join();
    w.close();
    double r = seconds(firstCommit - killedAt);
    long gone = leaderGoneAt.get();
    double e = gone == 0 ? Double.NaN : seconds(gone - killedAt);
    double a = gone == 0 ? Double.NaN : seconds(firstCommit - gone);
    s.rto.add(r);
    s.expiry.add(e);
    s.afterExpiry.add(a);
    long restartAt = System.nanoTime();
    cluster.agent(leader).start();
    cluster.awaitStreaming(leader, Duration.ofMinutes(3));
    double j = seconds(System.nanoTime() - restartAt);
    s.rejoin.add(j);
    System.out.printf(
        Locale.ROOT,
        "%s run %d: killed %s; RTO %.3f s (leader key gone after %.3f s, then %.3f s),"
            + " rejoin %.3f s, new leader %s, its /primary 200 %.3f s after writable%n",
        s.agent,
        run,
        leader,
        r,
        e,
        a,
        j,
        cluster.leader().orElse("?"),
        h);
    cluster.awaitHealthy(Duration.ofMinutes(3));
  }

  /** The TTL the store granted to the leader key's lease, -1 when the key has none. */
  private static long leaderLeaseTtl(Client client, String key) throws Exception {
    var kvs = client.getKVClient().get(bytes(key)).get().getKvs();
    if (kvs.isEmpty() || kvs.get(0).getLease() == 0) {
      return -1;
    }
    return client
        .getLeaseClient()
        .timeToLive(kvs.get(0).getLease(), LeaseOption.DEFAULT)
        .get()
        .getGrantedTTL();
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
          BenchSupport.closeQuietly(c);
          c = null;
          LockSupport.parkNanos(10_000_000);
        }
      }
      BenchSupport.closeQuietly(c);
    }

    void markKill(long at) {
      killAt.set(at);
    }

    void awaitCommits(long count) {
      await("the writer's commits")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> commits.get() >= count);
    }

    long awaitFirstCommitAfterKill(Duration bound) {
      return await("a commit on a new primary")
          .atMost(bound)
          .pollInterval(Duration.ofMillis(5))
          .until(firstAfterKill::get, at -> at != 0);
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
