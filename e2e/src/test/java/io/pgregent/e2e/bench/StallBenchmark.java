package io.pgregent.e2e.bench;

import io.pgregent.e2e.AgentCluster;
import io.pgregent.e2e.RegentAgent;
import io.pgregent.e2e.SplitBrainChecker;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * The leader's agent frozen (SIGSTOP) for 1.5 × ttl while its PostgreSQL runs on, then thawed: how
 * long two members' PostgreSQL were writable at once, and how long two members answered 200 on
 * {@code /primary} (a sampler asks every member every 100 ms). Two clusters side by side, one with
 * Regent's fence and one without, runs interleaved.
 *
 * <p>Usage: {@code bench/stall.sh [runs] [ttl loop_wait retry_timeout]}
 */
public final class StallBenchmark {

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int ttl = args.length > 3 ? Integer.parseInt(args[1]) : 10;
    int loopWait = args.length > 3 ? Integer.parseInt(args[2]) : 2;
    int retry = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    System.out.printf(
        Locale.ROOT,
        "stall benchmark: %d runs, ttl=%d loop_wait=%d retry_timeout=%d, frozen for %.1f s%n",
        runs,
        ttl,
        loopWait,
        retry,
        ttl * 1.5);
    Path base = PostgresTestEnvironment.newBaseDir("regent-bench-stall");
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
      List<Double> writableOn = new ArrayList<>();
      List<Double> primaryOn = new ArrayList<>();
      List<Double> writableOff = new ArrayList<>();
      List<Double> primaryOff = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        double[] on = stall(fenced, ttl);
        double[] off = stall(bare, ttl);
        writableOn.add(on[0]);
        primaryOn.add(on[1]);
        writableOff.add(off[0]);
        primaryOff.add(off[1]);
        System.out.printf(
            Locale.ROOT,
            "run %d: fence on: two writable %.2f s, two /primary 200 %.2f s;"
                + " fence off: two writable %.2f s, two /primary 200 %.2f s%n",
            run,
            on[0],
            on[1],
            off[0],
            off[1]);
      }
      FailoverBenchmark.summary("fence on, seconds with two writable primaries", writableOn);
      FailoverBenchmark.summary("fence on, seconds with two /primary 200", primaryOn);
      FailoverBenchmark.summary("fence off, seconds with two writable primaries", writableOff);
      FailoverBenchmark.summary("fence off, seconds with two /primary 200", primaryOff);
    } finally {
      PostgresTestEnvironment.deleteTree(base);
    }
  }

  /** One stall of the leader's agent; returns {two writable seconds, two /primary 200 seconds}. */
  static double[] stall(AgentCluster<RegentAgent> cluster, int ttl) {
    cluster.awaitHealthy(Duration.ofMinutes(3));
    RegentAgent leader = cluster.agent(cluster.leader().orElseThrow());
    try (SplitBrainChecker checker = new SplitBrainChecker(cluster.members())) {
      pause(Duration.ofSeconds(2));
      leader.freeze();
      try {
        pause(Duration.ofMillis(ttl * 1500L));
      } finally {
        leader.thaw();
      }
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
