package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The member that bootstraps a cluster is the primary for health checks as soon as the leader key
 * names it (Patroni's acceptance suite asks {@code GET /} right after the key appears).
 */
@Timeout(300)
class BootstrapHealthTests {

  @AutoClose private final TestCluster cluster = new TestCluster("fresh");

  @Test
  void theBootstrappingMemberAnswersAsThePrimaryOnceTheLeaderKeyNamesIt() throws Exception {
    AgentConfig c = cluster.member("pg0", Tags.none());
    cluster.run(c);
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(2))
        .until(() -> cluster.etcd().get("/service/fresh/leader").isPresent());
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
