package io.pgregent.dcs.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.ConsulServer;
import io.pgregent.testsupport.Dig;
import io.pgregent.testsupport.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code register_service} end to end on a real Consul agent with its DNS interface: two members
 * register as Patroni does, Consul runs their HTTP checks against each member's REST endpoint for
 * its role, and the real {@code dig} asks {@code primary.<scope>.service.consul} and {@code
 * replica.<scope>.service.consul} for SRV records — before and after a failover.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConsulDnsDiscoveryTests {

  private static final Logger log = LoggerFactory.getLogger(ConsulDnsDiscoveryTests.class);
  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(2));
  private static final String CHECK_INTERVAL = "1s";

  /** Liveness bound on "answers within a check interval": the interval plus a loaded machine. */
  private static final Duration DNS_BOUND = Duration.ofSeconds(1 + 15);

  private static final ClusterPath PATH = ClusterPath.of("/service", "batman");

  @RegisterExtension
  static final DevConsul consul = new DevConsul(ConsulServer.Options.plain().withDns(), null);

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void requireConsulAndDig() {
    String noDig = Dig.unavailableReason();
    assumeTrue(noDig == null, noDig);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A member: its store client and the REST API Consul's check asks (200 on its role only). */
  private final class Node implements AutoCloseable {
    final String name;
    final int pgPort;
    final int apiPort = FreePorts.next();
    final ConsulDcs dcs;
    volatile String role = "replica";
    private HttpServer api;

    Node(String name, int pgPort) {
      this.name = name;
      this.pgPort = pgPort;
      ConsulSettings s =
          TestConsulSettings.of(
              consul.url(),
              t -> {
                t.registerService = true;
                t.serviceTags = List.of("regent-test");
                t.serviceCheckInterval = CHECK_INTERVAL;
              });
      this.dcs = new ConsulDcs(s, PATH, name, TIMINGS);
      startApi();
    }

    void startApi() {
      try {
        api =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), apiPort), 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      api.createContext(
          "/",
          x -> {
            String asked = x.getRequestURI().getPath().substring(1);
            int status = asked.equals(role) ? 200 : 503;
            byte[] body = ("{\"role\":\"" + role + "\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(status, body.length);
            x.getResponseBody().write(body);
            x.close();
          });
      api.start();
    }

    /** The process is gone: the REST API stops answering, nobody renews the session. */
    void crash() {
      api.stop(0);
    }

    /** One HA cycle's store work as the given role. */
    void publish(String newRole) {
      role = newRole;
      dcs.renewSession();
      if (newRole.equals("primary")) {
        assertThat(dcs.tryAcquire() || dcs.refresh()).as(name + " holds the lock").isTrue();
      }
      dcs.touchMember(memberData());
    }

    Member memberData() {
      ObjectNode data = ClusterCodec.nodes().objectNode();
      data.put("conn_url", "postgres://127.0.0.1:" + pgPort + "/postgres");
      data.put("api_url", "http://127.0.0.1:" + apiPort + "/patroni");
      data.put("state", "running");
      data.put("role", role);
      data.put("version", "4.1.4");
      return Member.of(name, data);
    }

    @Override
    public void close() {
      api.stop(0);
      dcs.close();
    }
  }

  private Node node(String name, int pgPort) {
    Node n = new Node(name, pgPort);
    closeables.add(n);
    return n;
  }

  /** Waits, within the bound DNS is given to follow the catalogue, until the assertion holds. */
  private static void awaitDns(Duration poll, ThrowingRunnable assertion) {
    await().atMost(DNS_BOUND).pollInterval(poll).untilAsserted(assertion);
  }

  private static Set<Integer> srvPorts(String role) {
    return Dig.srvPorts(consul.dnsPort(), role + "." + PATH.scope() + ".service.consul");
  }

  @Test
  void primaryAndReplicaAnswerInTheCatalogAndInDnsAndFollowAFailover() {
    Node pg0 = node("pg0", 5432);
    Node pg1 = node("pg1", 5433);
    pg0.publish("primary");
    pg1.publish("replica");

    awaitDns(
        Duration.ofMillis(200),
        () -> {
          assertThat(srvPorts("primary")).containsExactly(5432);
          assertThat(srvPorts("replica")).containsExactly(5433);
          assertThat(srvPorts("master"))
              .as("older look-ups ask for the master tag")
              .containsExactly(5432);
        });

    // The catalogue: one service named after the scope, an instance per member, role tags plus
    // service_tags, an HTTP check on the member's endpoint for its role, passing.
    JsonNode health = consul.admin().get("/v1/health/service/batman");
    TreeMap<String, String> seen = new TreeMap<>();
    for (JsonNode entry : health) {
      JsonNode service = entry.path("Service");
      List<String> tags = new ArrayList<>();
      service.path("Tags").forEach(t -> tags.add(t.asText()));
      String check = "";
      for (JsonNode c : entry.path("Checks")) {
        if (c.path("ServiceID").asText().equals(service.path("ID").asText())) {
          check = c.path("Type").asText() + " " + c.path("Status").asText();
        }
      }
      seen.put(
          service.path("ID").asText(), tags + " " + service.path("Port").asInt() + " " + check);
    }
    assertThat(seen)
        .containsExactly(
            java.util.Map.entry("batman/pg0", "[regent-test, primary, master] 5432 http passing"),
            java.util.Map.entry("batman/pg1", "[regent-test, replica] 5433 http passing"));

    // Failover: the primary's process dies; its REST API fails the check at once, its session
    // lapses, the replica takes the lock and publishes itself as primary.
    pg0.crash();
    awaitDns(
        Duration.ofMillis(200),
        () ->
            assertThat(srvPorts("primary")).as("a dead primary leaves the primary name").isEmpty());
    await()
        .atMost(Duration.ofSeconds(45))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> pg1.dcs.read().leader().isEmpty());
    pg1.publish("primary");
    long promoted = System.nanoTime();
    awaitDns(
        Duration.ofMillis(100),
        () -> {
          assertThat(srvPorts("primary")).containsExactly(5433);
          assertThat(srvPorts("replica")).isEmpty();
        });
    log.info(
        "DNS answered the new primary {} ms after it registered (check interval {})",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - promoted),
        CHECK_INTERVAL);

    // The old primary comes back as a replica of the new one.
    pg0.startApi();
    pg0.publish("replica");
    awaitDns(
        Duration.ofMillis(100),
        () -> {
          assertThat(srvPorts("replica")).containsExactly(5432);
          assertThat(srvPorts("primary")).containsExactly(5433);
        });
  }

  @Test
  void aCleanlyStoppedMemberLeavesTheCatalog() {
    Node pg2 = node("pg2", 5434);
    pg2.publish("replica");
    await()
        .atMost(DNS_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> srvPorts("replica").contains(5434));
    pg2.close();
    closeables.remove(pg2);
    assertThat(consul.admin().get("/v1/agent/services").has("batman/pg2")).isFalse();
    assertThat(srvPorts("replica")).doesNotContain(5434);
  }
}
