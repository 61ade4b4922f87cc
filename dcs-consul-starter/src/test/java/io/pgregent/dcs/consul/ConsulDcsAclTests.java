package io.pgregent.dcs.consul;

import static io.pgregent.dcs.consul.ConsulDcsRequestTests.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.ConsulServer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code consul.token} against a real agent with ACLs on and default policy deny: a token with the
 * policy Patroni documents (write on the cluster's key prefix, on sessions and on the scope's
 * service) runs a member; no token, or one without those rights, is refused with an error naming
 * the setting.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsulDcsAclTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(2));
  private static final String MANAGEMENT = UUID.randomUUID().toString();
  private static final ClusterPath PATH = ClusterPath.of("/service", "acl");

  @RegisterExtension
  static final DevConsul consul =
      new DevConsul(ConsulServer.Options.plain().withAcl(MANAGEMENT), MANAGEMENT);

  private static ConsulDcs dcs(String name, String token) {
    return new ConsulDcs(
        TestConsulSettings.of(
            consul.url(),
            s -> {
              s.token = token;
              s.registerService = true;
              s.serviceCheckInterval = "1s";
            }),
        PATH,
        name,
        TIMINGS);
  }

  /** A token whose policy has the given rules. */
  private static String token(String rules) {
    String policy =
        consul
            .admin()
            .put(
                "/v1/acl/policy",
                "{\"Name\":\"p"
                    + UUID.randomUUID().toString().substring(0, 8)
                    + "\",\"Rules\":"
                    + com.fasterxml.jackson.databind.node.TextNode.valueOf(rules)
                    + "}")
            .path("ID")
            .asText();
    return consul
        .admin()
        .put("/v1/acl/token", "{\"Policies\":[{\"ID\":\"" + policy + "\"}]}")
        .path("SecretID")
        .asText();
  }

  @Test
  void aTokenWithPatronisPolicyRunsAMemberAndRegistersItsService() {
    String token =
        token(
            "key_prefix \"service/acl/\" { policy = \"write\" }\n"
                + "session_prefix \"\" { policy = \"write\" }\n"
                + "service_prefix \"acl\" { policy = \"write\" }\n"
                + "node_prefix \"\" { policy = \"read\" }\n");
    try (ConsulDcs a = dcs("a", token);
        ConsulDcs b = dcs("b", token)) {
      a.renewSession();
      a.touchMember(member("primary", "running"));
      assertThat(a.tryAcquire()).isTrue();
      b.renewSession();
      assertThat(b.tryAcquire()).isFalse();
      assertThat(b.read().isLockedBy("a")).isTrue();
      assertThat(b.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":20}")).isTrue();
      assertThat(consul.admin().get("/v1/agent/services").has("acl/a"))
          .as("the service was registered with the token")
          .isTrue();
      assertThat(a.release()).isTrue();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !consul.admin().get("/v1/agent/services").has("acl/a"));
  }

  @Test
  void withoutATokenTheSessionIsRefusedNamingTheSetting() {
    try (ConsulDcs a = dcs("a", null)) {
      assertThatThrownBy(a::renewSession)
          .isInstanceOf(DcsConfigurationException.class)
          .hasMessageContaining("403")
          .hasMessageContaining("consul.token");
    }
  }

  @Test
  void aTokenThatMayOnlyReadCannotTakeTheLock() {
    String token =
        token(
            "key_prefix \"service/acl/\" { policy = \"read\" }\n"
                + "session_prefix \"\" { policy = \"write\" }\n");
    try (ConsulDcs a = dcs("a", token)) {
      a.renewSession();
      assertThatThrownBy(a::tryAcquire)
          .isInstanceOf(DcsConfigurationException.class)
          .hasMessageContaining("consul.token");
      assertThat(consul.admin().get("/v1/kv/service/acl/leader").isMissingNode()).isTrue();
    }
  }
}
