package io.pgregent.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.etcd.EtcdDcs;
import io.pgregent.dcs.etcd.EtcdSettings;
import io.pgregent.testsupport.EtcdServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * What one HA cycle of a leader at rest costs the agent's process in CPU, through the etcd client
 * the agent uses (jetcd: gRPC over Netty; {@code EtcdDcs}: one linearizable probe read and one
 * keep-alive message) and, for comparison, the same two requests through etcd's JSON gateway over
 * HTTP/1.1 with the JDK's HTTP client (the transport Patroni uses). Cycles are spaced like the HA
 * loop's, so that both run cold as they do at rest. Run it with the launcher's JIT flags to see
 * what the agent sees.
 *
 * <p>Usage: {@code bench/etcd-cycle-cost.sh [runs] [cycles per run] [interval ms]}
 */
public final class EtcdCycleCostBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One HA cycle's etcd traffic. */
  interface Cycle extends AutoCloseable {
    void run() throws Exception;

    @Override
    void close();
  }

  public static void main(String[] argv) throws Exception {
    int runs = argv.length > 0 ? Integer.parseInt(argv[0]) : 5;
    int cycles = argv.length > 1 ? Integer.parseInt(argv[1]) : 30;
    long intervalMs = argv.length > 2 ? Long.parseLong(argv[2]) : 1000;
    System.out.printf(
        Locale.ROOT,
        "etcd cycle cost: %d runs of %d cycles each, one cycle every %d ms%n",
        runs,
        cycles,
        intervalMs);
    List<Double> jetcd = new ArrayList<>();
    List<Double> gateway = new ArrayList<>();
    List<Double> nothing = new ArrayList<>();
    try (EtcdServer etcd = EtcdServer.start()) {
      for (int run = 1; run <= runs; run++) {
        // Alternate which goes first, so that neither always runs on a warmer JVM.
        boolean jetcdFirst = run % 2 == 1;
        for (int i = 0; i < 2; i++) {
          boolean useJetcd = (i == 0) == jetcdFirst;
          try (Cycle cycle = useJetcd ? regent(etcd, run) : gateway(etcd, run)) {
            double ms = measure(cycle, cycles, intervalMs);
            (useJetcd ? jetcd : gateway).add(ms);
            System.out.printf(
                Locale.ROOT,
                "run %d: %s %.3f ms CPU per cycle%n",
                run,
                useJetcd ? "jetcd (EtcdDcs)" : "JSON gateway (JDK HttpClient)",
                ms);
          }
        }
        // What the process spends anyway (JIT, GC, the fixture's threads): cycles without requests.
        double idle = measure(IDLE, cycles, intervalMs);
        nothing.add(idle);
        System.out.printf(Locale.ROOT, "run %d: no requests %.3f ms CPU per cycle%n", run, idle);
      }
    }
    FailoverBenchmark.summary("jetcd (EtcdDcs): read + keep-alive, ms CPU per cycle", jetcd);
    FailoverBenchmark.summary(
        "JSON gateway over HTTP/1.1: read + keep-alive, ms CPU per cycle", gateway);
    FailoverBenchmark.summary(
        "no requests (the process's own background), ms CPU per cycle", nothing);
  }

  private static final Cycle IDLE =
      new Cycle() {
        @Override
        public void run() {}

        @Override
        public void close() {}
      };

  /** The agent's own store client, cycling as a leader at rest does. */
  private static Cycle regent(EtcdServer etcd, int run) {
    EtcdDcs dcs =
        new EtcdDcs(
            EtcdSettings.of(etcd.clientUrl()),
            ClusterPath.of(null, "cost-jetcd-" + run),
            "a",
            new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(4)));
    dcs.renewSession();
    if (!dcs.tryAcquire()) {
      throw new IllegalStateException("could not take the lock");
    }
    dcs.read();
    return new Cycle() {
      @Override
      public void run() {
        if (!dcs.read().isLockedBy("a") || !dcs.renewSession() || !dcs.refresh()) {
          throw new IllegalStateException("lost the lock");
        }
      }

      @Override
      public void close() {
        dcs.close();
      }
    };
  }

  /** The same two requests through etcd's JSON gateway: a probe read and a lease keep-alive. */
  private static Cycle gateway(EtcdServer etcd, int run) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = etcd.clientUrl();
    String prefix = "/service/cost-gateway-" + run + "/";
    String lease = post(http, base + "/v3/lease/grant", "{\"TTL\":10}").path("ID").asText();
    post(
        http,
        base + "/v3/kv/put",
        "{\"key\":\""
            + b64(prefix + "leader")
            + "\",\"value\":\""
            + b64("a")
            + "\",\"lease\":\""
            + lease
            + "\"}");
    String probe =
        "{\"key\":\""
            + b64(prefix)
            + "\",\"range_end\":\""
            + b64(prefix.substring(0, prefix.length() - 1) + "0")
            + "\",\"limit\":1,\"keys_only\":true,\"sort_order\":\"DESCEND\",\"sort_target\":\"MOD\"}";
    String keepAlive = "{\"ID\":\"" + lease + "\"}";
    return new Cycle() {
      @Override
      public void run() throws Exception {
        if (post(http, base + "/v3/kv/range", probe).path("count").asLong() != 1
            || post(http, base + "/v3/lease/keepalive", keepAlive)
                    .path("result")
                    .path("TTL")
                    .asLong()
                <= 0) {
          throw new IllegalStateException("lost the lease");
        }
      }

      @Override
      public void close() {
        // The JDK 17 client has no close(); its connection is dropped with it.
      }
    };
  }

  private static JsonNode post(HttpClient http, String url, String body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(4))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Process CPU per cycle over {@code cycles} cycles spaced {@code intervalMs} apart. */
  private static double measure(Cycle cycle, int cycles, long intervalMs) throws Exception {
    cycle.run(); // connections open, first-use class loading done
    LockSupport.parkNanos(Duration.ofMillis(intervalMs).toNanos());
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long before = os.getProcessCpuTime();
    for (int i = 0; i < cycles; i++) {
      cycle.run();
      LockSupport.parkNanos(Duration.ofMillis(intervalMs).toNanos());
    }
    return (os.getProcessCpuTime() - before) / 1e6 / cycles;
  }
}
