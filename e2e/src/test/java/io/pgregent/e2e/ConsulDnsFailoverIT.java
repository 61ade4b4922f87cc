package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.testsupport.ConsulServer;
import io.pgregent.testsupport.Dig;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two Regent agents on a real Consul (the open-source build) with {@code register_service}: the
 * real {@code dig} finds the primary and the replica under {@code primary.<scope>.service.consul}
 * and {@code replica.<scope>.service.consul}, and, after the primary's machine crashes, the new
 * primary within a check interval of its promotion; the crashed member comes back as a replica.
 */
@Timeout(600)
class ConsulDnsFailoverIT {

  private static final Logger log = LoggerFactory.getLogger(ConsulDnsFailoverIT.class);
  private static final String SCOPE = "dnsfail";
  private static final int CHECK_INTERVAL_S = 1;

  /** "Within a check interval", as a liveness bound with a loaded machine's margin. */
  private static final Duration DNS_BOUND = Duration.ofSeconds(CHECK_INTERVAL_S + 20);

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> ConsulDnsFailoverIT.agents, RegentAgent::logTail);

  private static ConsulServer consul;
  private static Path base;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    String reason = ConsulServer.unavailableReason();
    if (reason == null) {
      reason = Dig.unavailableReason();
    }
    assumeTrue(reason == null, reason);
    consul = ConsulServer.dev(ConsulServer.Options.plain().withDns());
    base = PostgresTestEnvironment.newBaseDir("regent-consul-e2e");
    for (String name : List.of("pg0", "pg1")) {
      // Consul's shortest session TTL is 10 s, which ttl 20 gives (ttl/2).
      RegentAgent a = new RegentAgent(base, SCOPE, name, "unused", Map.of(), 20, 2, 5);
      a.useConsul(
          "  host: "
              + consul.address()
              + "\n  register_service: true\n  service_check_interval: "
              + CHECK_INTERVAL_S
              + "s\n");
      agents.put(name, a);
    }
    agents.values().forEach(RegentAgent::start);
  }

  @AfterAll
  static void stopCluster() {
    try {
      agents.values().forEach(RegentAgent::close);
    } finally {
      if (consul != null) {
        consul.close();
      }
      if (base != null && System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      }
    }
  }

  private static Optional<String> leader() {
    return agents.entrySet().stream()
        .filter(e -> e.getValue().isAlive() && e.getValue().status("/primary") == 200)
        .map(Map.Entry::getKey)
        .findFirst();
  }

  private static Set<Integer> srv(String role) {
    return Dig.srvPorts(consul.dnsPort(), role + "." + SCOPE + ".service.consul");
  }

  /**
   * Waits until DNS answers exactly the ports {@code primary} for the primary service and {@code
   * replica} for the replica service.
   */
  private static void awaitSrv(
      Duration bound, Duration poll, List<Integer> primary, List<Integer> replica) {
    await()
        .atMost(bound)
        .pollInterval(poll)
        .untilAsserted(
            () -> {
              assertThat(srv("primary")).as("primary").containsExactlyElementsOf(primary);
              assertThat(srv("replica")).as("replica").containsExactlyElementsOf(replica);
            });
  }

  @Test
  void dnsFollowsTheRolesThroughAFailover() {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> leader().isPresent());
    String old = leader().orElseThrow();
    String next = old.equals("pg0") ? "pg1" : "pg0";
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> agents.get(next).streaming());
    int oldPort = agents.get(old).pgPort();
    int nextPort = agents.get(next).pgPort();
    awaitSrv(Duration.ofSeconds(60), Duration.ofMillis(250), List.of(oldPort), List.of(nextPort));

    agents.get(old).crash(); // agent and postmaster killed: the machine is gone
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leader().map(next::equals).orElse(false));
    long promoted = System.nanoTime();
    // The crashed member answers nothing.
    awaitSrv(DNS_BOUND, Duration.ofMillis(100), List.of(nextPort), List.of());
    log.info(
        "dig answered the new primary {} ms after its REST API did (service_check_interval {}s)",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promoted),
        CHECK_INTERVAL_S);

    agents.get(old).start();
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> agents.get(old).streaming());
    awaitSrv(DNS_BOUND, Duration.ofMillis(250), List.of(nextPort), List.of(oldPort));
  }
}
