package io.pgregent.e2e.bench;

import io.pgregent.e2e.AgentCluster;
import io.pgregent.e2e.RegentAgent;
import io.pgregent.e2e.SplitBrainChecker;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The leader's agent out of the game for 1.5 × ttl while its PostgreSQL runs on, in two scenarios:
 * frozen (SIGSTOP, then SIGCONT), and killed (SIGKILL of the agent alone, then started again). Per
 * run, how long two members' PostgreSQL were writable at once, and how long two members answered
 * 200 on {@code /primary} (a sampler asks every member every 100 ms). Two clusters side by side,
 * one with Regent's fence and one without, runs interleaved.
 *
 * <p>Usage: {@code bench/stall.sh [runs] [ttl loop_wait retry_timeout] [--only stall|kill]}
 */
public final class StallBenchmark {

  /** Results of one scenario on one cluster, over the runs. */
  private record Series(String label, List<Double> writable, List<Double> primary) {
    Series(String label) {
      this(label, new ArrayList<>(), new ArrayList<>());
    }

    double[] add(double[] r) {
      writable.add(r[0]);
      primary.add(r[1]);
      return r;
    }

    void summary() {
      FailoverBenchmark.summary(label + ", seconds with two writable primaries", writable);
      FailoverBenchmark.summary(label + ", seconds with two /primary 200", primary);
    }
  }

  public static void main(String[] argv) throws Exception {
    List<String> argList = new ArrayList<>(List.of(argv));
    String chosen = BenchSupport.takeOption(argList, "--only", null, "stall or kill");
    if (chosen != null && !chosen.equals("stall") && !chosen.equals("kill")) {
      throw new IllegalArgumentException("--only: expected stall or kill, got " + chosen);
    }
    String only = chosen == null ? "" : chosen;
    boolean stalls = !only.equals("kill");
    boolean kills = !only.equals("stall");
    String[] args = argList.toArray(String[]::new);
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int ttl = args.length > 3 ? Integer.parseInt(args[1]) : 10;
    int loopWait = args.length > 3 ? Integer.parseInt(args[2]) : 2;
    int retry = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    System.out.printf(
        Locale.ROOT,
        "stall benchmark (%s): %d runs, ttl=%d loop_wait=%d retry_timeout=%d,"
            + " agent out for %.1f s%n",
        stalls && kills ? "SIGSTOP and kill -9" : stalls ? "SIGSTOP" : "kill -9",
        runs,
        ttl,
        loopWait,
        retry,
        ttl * 1.5);
    Path base = PostgresTestEnvironment.newBaseDir("regent-bench-stall");
    for (String dir : List.of("fence-on", "fence-off")) {
      // Readable by PostgreSQL's OS user when the benchmark runs as root.
      Files.setPosixFilePermissions(
          Files.createDirectory(base.resolve(dir)), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    try (EtcdServer etcd = EtcdServer.start();
        AgentCluster<RegentAgent> fenced =
            AgentCluster.regent(
                base.resolve("fence-on"),
                etcd,
                "fenced",
                ttl,
                loopWait,
                retry,
                "  fence:\n    mode: required\n");
        AgentCluster<RegentAgent> bare =
            AgentCluster.regent(
                base.resolve("fence-off"),
                etcd,
                "bare",
                ttl,
                loopWait,
                retry,
                "  fence:\n    mode: 'off'\n")) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    fenced.close();
                    bare.close();
                  },
                  "bench-cleanup"));
      fenced.awaitHealthy(Duration.ofMinutes(3));
      bare.awaitHealthy(Duration.ofMinutes(3));
      Series stallOn = new Series("SIGSTOP, fence on");
      Series stallOff = new Series("SIGSTOP, fence off");
      Series killOn = new Series("kill -9, fence on");
      Series killOff = new Series("kill -9, fence off");
      for (int run = 1; run <= runs; run++) {
        if (stalls) {
          report(run, "SIGSTOP", stallOn.add(stall(fenced, ttl)), stallOff.add(stall(bare, ttl)));
        }
        if (kills) {
          report(run, "kill -9", killOn.add(kill(fenced, ttl)), killOff.add(kill(bare, ttl)));
        }
      }
      System.out.printf(
          Locale.ROOT, "== ttl=%d loop_wait=%d retry_timeout=%d%n", ttl, loopWait, retry);
      if (stalls) {
        stallOn.summary();
        stallOff.summary();
      }
      if (kills) {
        killOn.summary();
        killOff.summary();
      }
    } finally {
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      } else {
        System.out.println("kept the benchmark's files in " + base);
      }
    }
  }

  private static void report(int run, String scenario, double[] on, double[] off) {
    System.out.printf(
        Locale.ROOT,
        "run %d, %s: fence on: two writable %.2f s, two /primary 200 %.2f s;"
            + " fence off: two writable %.2f s, two /primary 200 %.2f s%n",
        run,
        scenario,
        on[0],
        on[1],
        off[0],
        off[1]);
  }

  /**
   * The leader's agent killed (SIGKILL, the agent alone: PostgreSQL and a fence survive) and
   * started again after 1.5 × ttl; returns {two writable seconds, two /primary 200 seconds}.
   * Without a fence nothing stops the orphaned PostgreSQL until its agent is back, so the figure
   * grows with the time the agent stays away.
   */
  static double[] kill(AgentCluster<RegentAgent> cluster, int ttl) {
    return outage(
        cluster,
        leader -> {
          leader.killAgent();
          pause(Duration.ofMillis(ttl * 1500L));
          leader.start();
        });
  }

  /** One stall of the leader's agent; returns {two writable seconds, two /primary 200 seconds}. */
  static double[] stall(AgentCluster<RegentAgent> cluster, int ttl) {
    return outage(
        cluster,
        leader -> {
          leader.freeze();
          try {
            pause(Duration.ofMillis(ttl * 1500L));
          } finally {
            leader.thaw();
          }
        });
  }

  /**
   * {@code fault} done to the healthy cluster's leader under a split-brain checker, until the
   * cluster is healthy again; returns {two writable seconds, two /primary 200 seconds}.
   */
  private static double[] outage(AgentCluster<RegentAgent> cluster, Consumer<RegentAgent> fault) {
    cluster.awaitHealthy(Duration.ofMinutes(3));
    RegentAgent leader = cluster.agent(cluster.leader().orElseThrow());
    try (SplitBrainChecker checker = new SplitBrainChecker(cluster.members())) {
      pause(Duration.ofSeconds(2));
      fault.accept(leader);
      cluster.awaitHealthy(Duration.ofMinutes(3));
      pause(Duration.ofSeconds(2));
      return new double[] {
        FailoverBenchmark.seconds(checker.twoWritableTime().toNanos()),
        FailoverBenchmark.seconds(checker.twoPrimaryTime().toNanos())
      };
    }
  }

  private static void pause(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      LockSupport.parkNanos(end - System.nanoTime());
    }
  }
}
