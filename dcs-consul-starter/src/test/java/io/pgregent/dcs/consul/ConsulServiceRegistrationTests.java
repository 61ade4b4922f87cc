package io.pgregent.dcs.consul;

import static io.pgregent.dcs.consul.ConsulDcsRequestTests.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.consul.RecordingHttpServer.Answer;
import io.pgregent.dcs.consul.RecordingHttpServer.Recorded;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The service registration our client sends for {@code register_service: true}: its payload, the
 * re-tagging on every role change, the deregistration when the member stops or shuts down. Checked
 * against an in-process server recording the requests.
 */
@Timeout(60)
class ConsulServiceRegistrationTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(30), Duration.ofSeconds(1));

  private final AtomicBoolean agentDown = new AtomicBoolean();
  private RecordingHttpServer server;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server =
        new RecordingHttpServer(
            r ->
                agentDown.get() && r.path().startsWith("/v1/agent/")
                    ? new Answer(500, "agent unavailable", 0)
                    : ConsulDcsRequestTests.emptyConsul(r));
    closeables.add(server);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private ConsulDcs dcs(boolean register, List<String> tags, String tlsServerName) {
    ConsulSettings s =
        TestConsulSettings.of(
            server.url(),
            t -> {
              t.registerService = register;
              t.serviceTags = tags;
              t.serviceCheckTlsServerName = tlsServerName;
            });
    ConsulDcs d = new ConsulDcs(s, ClusterPath.of("/service", "batman"), "pg0", TIMINGS);
    closeables.add(d);
    return d;
  }

  private List<JsonNode> registrations() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (Recorded r : server.requests("PUT", "/v1/agent/service/register")) {
      out.add(JSON.readTree(r.body()));
    }
    return out;
  }

  private List<Recorded> deregistrations() {
    return server.requests("PUT", "/v1/agent/service/deregister/");
  }

  @Test
  void aPrimaryRegistersTheScopeServiceTaggedPrimaryWithAnHttpCheckOnPrimary() throws Exception {
    ConsulDcs dcs = dcs(true, List.of("dc-east"), null);
    dcs.touchMember(member("primary", "running"));
    JsonNode body = registrations().get(0);
    assertThat(body.path("ID").asText()).isEqualTo("batman/pg0");
    assertThat(body.path("Name").asText()).isEqualTo("batman");
    assertThat(body.path("Tags"))
        .extracting(JsonNode::asText)
        .containsExactly("dc-east", "primary", "master");
    assertThat(body.path("Address").asText()).isEqualTo("10.0.0.11");
    assertThat(body.path("Port").asInt()).isEqualTo(5432);
    assertThat(body.path("EnableTagOverride").asBoolean()).isTrue();
    JsonNode check = body.path("Check");
    assertThat(check.path("HTTP").asText()).isEqualTo("http://10.0.0.11:8008/primary");
    assertThat(check.path("Interval").asText()).isEqualTo("5s");
    assertThat(check.path("DeregisterCriticalServiceAfter").asText())
        .as("ten session TTLs: five times ttl")
        .isEqualTo("150s");
    assertThat(check.has("TLSServerName")).isFalse();
  }

  @Test
  void everyRoleChangeReTagsTheServiceAndMovesItsCheck() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    dcs.touchMember(member("replica", "running"));
    dcs.touchMember(member("replica", "running"));
    dcs.touchMember(member("primary", "running"));
    dcs.touchMember(member("primary", "running"));
    dcs.touchMember(member("replica", "running"));
    dcs.touchMember(member("standby_leader", "running"));
    List<JsonNode> sent = registrations();
    assertThat(sent)
        .as("one registration per role change, none for an unchanged role")
        .extracting(b -> b.path("Tags").toString() + " " + b.path("Check").path("HTTP").asText())
        .containsExactly(
            "[\"replica\"] http://10.0.0.11:8008/replica",
            "[\"primary\",\"master\"] http://10.0.0.11:8008/primary",
            "[\"replica\"] http://10.0.0.11:8008/replica",
            "[\"standby-leader\"] http://10.0.0.11:8008/standby-leader");
  }

  @Test
  void theTlsServerNameGoesIntoTheCheck() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), "pg0.db.example.com");
    dcs.touchMember(member("replica", "running"));
    assertThat(registrations().get(0).path("Check").path("TLSServerName").asText())
        .isEqualTo("pg0.db.example.com");
  }

  @Test
  void aStoppedMemberIsDeregisteredAndAStartingOneKeepsItsRegistration() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    dcs.touchMember(member("primary", "running"));
    dcs.touchMember(member("primary", "starting"));
    assertThat(deregistrations()).isEmpty();
    dcs.touchMember(member("primary", "stopped"));
    assertThat(deregistrations())
        .singleElement()
        .satisfies(
            r -> assertThat(r.path()).isEqualTo("/v1/agent/service/deregister/batman%2Fpg0"));
  }

  @Test
  void aCleanShutdownDeregistersOnce() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    dcs.touchMember(member("primary", "running"));
    dcs.deleteMember();
    dcs.close();
    assertThat(deregistrations()).hasSize(1);
  }

  @Test
  void closingAfterTheLoopStoppedDeregisters() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    dcs.touchMember(member("replica", "running"));
    dcs.close();
    assertThat(deregistrations()).hasSize(1);
  }

  @Test
  void anUninitializedMemberIsNotRegistered() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    dcs.touchMember(member("uninitialized", "stopped"));
    dcs.touchMember(member("uninitialized", "running"));
    assertThat(registrations()).isEmpty();
  }

  @Test
  void withoutRegisterServiceNothingIsRegistered() throws Exception {
    ConsulDcs dcs = dcs(false, List.of(), null);
    dcs.touchMember(member("primary", "running"));
    dcs.close();
    assertThat(registrations()).isEmpty();
    assertThat(deregistrations()).isEmpty();
  }

  @Test
  void aFailedRegistrationNeverFailsTheLoopAndIsTriedAgain() throws Exception {
    ConsulDcs dcs = dcs(true, List.of(), null);
    agentDown.set(true);
    assertThatCode(() -> dcs.touchMember(member("primary", "running"))).doesNotThrowAnyException();
    agentDown.set(false);
    dcs.touchMember(member("primary", "running"));
    assertThat(server.requests("PUT", "/v1/agent/service/register")).hasSize(2);
    assertThat(server.requests("PUT", "/v1/kv/")).as("the member key is written once").hasSize(1);
  }

  @Test
  void serviceNamesAreDnsLabelsMadeFromTheScope() {
    assertThat(ConsulServiceRegistrar.serviceName("batman")).isEqualTo("batman");
    assertThat(ConsulServiceRegistrar.serviceName("Pg_Cluster.eu 1")).isEqualTo("pg-cluster-eu-1");
    assertThat(ConsulServiceRegistrar.serviceName("db+1")).isEqualTo("dbu00431");
    assertThat(ConsulServiceRegistrar.serviceName("x".repeat(300))).hasSize(230);
  }
}
