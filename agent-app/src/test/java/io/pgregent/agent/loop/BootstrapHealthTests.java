package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The member that bootstraps a cluster is the primary for health checks as soon as the leader key
 * names it (Patroni's acceptance suite asks {@code GET /} right after the key appears).
 */
@Timeout(300)
class BootstrapHealthTests {

  private EtcdServer etcd;
  private Path base;
  private ConfigurableApplicationContext agent;

  @AfterEach
  void stop() {
    TestMembers.stopAll(etcd, base, agent == null ? List.of() : List.of(agent));
  }

  @Test
  void theBootstrappingMemberAnswersAsThePrimaryOnceTheLeaderKeyNamesIt() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-bootstrap-health");
    AgentConfig c =
        TestMembers.member(base, "fresh", "pg0", "127.0.0.1:" + etcd.clientPort(), Tags.none());
    agent = RegentApplication.run(c);
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(2))
        .until(() -> etcd.get("/service/fresh/leader").isPresent());
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    int code =
        http.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + c.restapi().connectAddress() + "/primary"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode();
    assertThat(code).isEqualTo(200);
  }
}
