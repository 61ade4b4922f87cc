package io.pgregent.e2e.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.pgregent.e2e.AgentCluster;
import io.pgregent.e2e.RegentAgent;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Commit latency and throughput of a three-member cluster on loopback with asynchronous,
 * synchronous ({@code synchronous_mode: true}) and quorum ({@code ANY 1} of two) replication,
 * measured with pgbench (TPC-B-like without the branch and teller updates, {@code -N}); then
 * unplanned failover in synchronous mode: a client committing every 10 ms, SIGKILL of the leader's
 * agent and postmaster, the time to the first commit on the new primary.
 *
 * <p>Usage: {@code bench/sync.sh [runs] [seconds per pgbench run] [clients]}
 */
public final class SyncBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCOPE = "bench";

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int ttl = 10;
    Path pgbench = Path.of("/usr/lib/postgresql/15/bin/pgbench");
    if (!Files.isExecutable(pgbench)) {
      throw new IllegalStateException("pgbench not found at " + pgbench);
    }
    System.out.printf(
        Locale.ROOT,
        "sync benchmark: %d runs, pgbench -N -c %d -j 2 -T %d, ttl=%d loop_wait=2 retry_timeout=4%n",
        runs,
        clients,
        seconds,
        ttl);
    Path base = PostgresTestEnvironment.newBaseDir("regent-syncbench");
    try (EtcdServer etcd = EtcdServer.start();
        AgentCluster<RegentAgent> cluster = AgentCluster.regent(base, etcd, SCOPE, ttl, 2, 4);
        Client kv = Client.builder().endpoints(etcd.clientUrl()).build()) {
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "bench-cleanup"));
      cluster.awaitHealthy(Duration.ofMinutes(3));
      String leader = cluster.leader().orElseThrow();
      int port = cluster.agent(leader).pgPort();
      run(pgbench, port, List.of("-i", "-s", "10", "-q"));

      Map<String, String> modes = new LinkedHashMap<>();
      modes.put("async", "false");
      modes.put("sync", "true");
      modes.put("quorum", "\"quorum\"");
      for (Map.Entry<String, String> mode : modes.entrySet()) {
        setConfig(kv, "synchronous_mode", mode.getValue());
        awaitSyncState(kv, mode.getKey());
        List<Double> tps = new ArrayList<>();
        List<Double> latency = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
          String out =
              run(
                  pgbench,
                  port,
                  List.of(
                      "-N",
                      "-c",
                      Integer.toString(clients),
                      "-j",
                      "2",
                      "-T",
                      Integer.toString(seconds)));
          tps.add(number(out, "tps = ([0-9.]+)"));
          latency.add(number(out, "latency average = ([0-9.]+) ms"));
        }
        FailoverBenchmark.summary(mode.getKey() + " tps", tps);
        FailoverBenchmark.summary(mode.getKey() + " latency ms", latency);
      }

      setConfig(kv, "synchronous_mode", "true");
      awaitSyncState(kv, "sync");
      List<Double> rto = new ArrayList<>();
      for (int r = 1; r <= runs; r++) {
        String old = cluster.leader().orElseThrow();
        RegentAgent victim = cluster.agent(old);
        FailoverBenchmark.Writer writer =
            new FailoverBenchmark.Writer(cluster.multiHostUrl(), victim.pgPort());
        Thread t = new Thread(writer, "bench-writer");
        t.start();
        writer.awaitCommits(50);
        long killedAt = System.nanoTime();
        writer.markKill(killedAt);
        victim.crash();
        long first = writer.awaitFirstCommitAfterKill(Duration.ofSeconds(ttl * 4L + 60));
        rto.add(FailoverBenchmark.seconds(first - killedAt));
        writer.stop();
        t.join();
        System.out.printf(
            Locale.ROOT, "sync failover %d: %s killed, RTO %.3f s%n", r, old, rto.get(r - 1));
        victim.start();
        cluster.awaitHealthy(Duration.ofMinutes(3));
        awaitSyncState(kv, "sync");
      }
      FailoverBenchmark.summary("sync failover RTO s", rto);
    } finally {
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      }
    }
  }

  private static void setConfig(Client kv, String key, String json) throws Exception {
    ByteSequence k = bytes("/service/" + SCOPE + "/config");
    String current =
        kv.getKVClient()
            .get(k)
            .get(10, TimeUnit.SECONDS)
            .getKvs()
            .get(0)
            .getValue()
            .toString(StandardCharsets.UTF_8);
    ObjectNode config = (ObjectNode) JSON.readTree(current);
    config.set(key, JSON.readTree(json));
    kv.getKVClient().put(k, bytes(JSON.writeValueAsString(config))).get(10, TimeUnit.SECONDS);
  }

  /** Waits until the sync key says the mode is in force with every standby confirmed. */
  private static void awaitSyncState(Client kv, String mode) {
    waitFor(
        Duration.ofMinutes(2),
        () -> {
          Optional<String> v = get(kv, "/service/" + SCOPE + "/sync");
          if (mode.equals("async")) {
            return v.isEmpty();
          }
          if (v.isEmpty()) {
            return false;
          }
          try {
            var node = JSON.readTree(v.get());
            String standbys = node.path("sync_standby").asText("");
            int n = standbys.isEmpty() ? 0 : standbys.split(",").length;
            return mode.equals("sync")
                ? n == 1 && node.path("quorum").asInt(0) == 0
                : n == 2 && node.path("quorum").asInt(0) == 1;
          } catch (Exception e) {
            return false;
          }
        });
  }

  private static Optional<String> get(Client kv, String key) {
    try {
      var kvs = kv.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
      return kvs.isEmpty()
          ? Optional.empty()
          : Optional.of(kvs.get(0).getValue().toString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static String run(Path pgbench, int port, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(pgbench.toString());
    cmd.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres"));
    cmd.addAll(args);
    cmd.add("postgres");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", "su-secret");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("pgbench failed: " + out);
    }
    return out;
  }

  private static double number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no " + regex + " in: " + out);
    }
    return Double.parseDouble(m.group(1));
  }

  private static void waitFor(Duration bound, BooleanSupplier condition) {
    await().atMost(bound).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
