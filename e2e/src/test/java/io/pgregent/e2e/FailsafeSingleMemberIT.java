package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FaultProxy;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A one-member cluster with the store gone, as Patroni runs it: in failsafe mode there is nobody
 * who could take over, so the primary stays, and says so ({@code failsafe_mode_is_active}); without
 * it, the primary goes read-only and keeps serving reads. A reload while PostgreSQL is stopped is
 * accepted.
 */
@Timeout(300)
class FailsafeSingleMemberIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CALL = Duration.ofSeconds(5);
  private static final String SCOPE = "single";

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> FailsafeSingleMemberIT.agent.logTail());

  private static EtcdServer etcd;
  private static FaultProxy proxy;
  private static RegentAgent agent;
  private static Path base;

  @BeforeAll
  static void start() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-failsafe-single");
    proxy = FaultProxy.to("127.0.0.1", etcd.clientPort());
    agent = new RegentAgent(base, SCOPE, "pg0", proxy.hostAndPort(), Map.of());
    agent.start();
  }

  @AfterAll
  static void stop() {
    try {
      agent.close();
      proxy.close();
    } finally {
      etcd.close();
      PostgresTestEnvironment.deleteTree(base);
    }
  }

  @Test
  void theOnlyMemberStaysPrimaryWhileTheStoreIsDown() throws Exception {
    ObjectNode config = primaryAndItsConfig();
    config.put("failsafe_mode", true);
    storeConfig(config);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> etcd.get(key("failsafe")).map(v -> v.contains("pg0")).orElse(false));
    assertThat(agent.send("GET", "/primary", null, CALL).body())
        .doesNotContain("failsafe_mode_is_active");

    proxy.cut();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                RegentAgent.Answer primary = agent.send("GET", "/primary", null, CALL);
                return primary.status() == 200
                    && primary.body().contains("\"failsafe_mode_is_active\":true");
              });
      // Well past the ttl (10 s): still the writable primary, and every answer says why.
      await()
          .during(Duration.ofSeconds(20))
          .atMost(Duration.ofSeconds(40))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  writable()
                      && agent
                          .send("GET", "/primary", null, CALL)
                          .body()
                          .contains("\"failsafe_mode_is_active\":true"));
    } finally {
      proxy.restore();
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              RegentAgent.Answer primary = agent.send("GET", "/primary", null, CALL);
              return primary.status() == 200 && !primary.body().contains("failsafe_mode_is_active");
            });
    config.remove("failsafe_mode");
    storeConfig(config);
  }

  @Test
  void withoutFailsafeModeTheOnlyMemberGoesReadOnlyWhileTheStoreIsDown() throws Exception {
    ObjectNode config = primaryAndItsConfig();
    config.remove("failsafe_mode");
    storeConfig(config);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> agent.send("GET", "/failsafe", null, CALL).status() == 502);

    proxy.cut();
    try {
      // Demoted, as in Patroni: PostgreSQL keeps running, read-only, and still serves reads.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(FailsafeSingleMemberIT::readOnly);
      await()
          .during(Duration.ofSeconds(10))
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(500))
          .until(FailsafeSingleMemberIT::readOnly);
    } finally {
      proxy.restore();
    }
    await().atMost(Duration.ofSeconds(90)).until(FailsafeSingleMemberIT::writable);
  }

  @Test
  void reloadWhilePostgresIsStoppedIsAcceptedAndTakesEffectAtItsStart() throws Exception {
    ObjectNode config = primaryAndItsConfig();
    config.put("pause", true);
    storeConfig(config);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> agent.patroni().map(p -> p.path("pause").asBoolean()).orElse(false));
    // In maintenance mode nobody starts PostgreSQL again: stop it (fast shutdown).
    long pid = agent.postmasterPid().orElseThrow();
    new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));

    // Patroni schedules a reload whatever PostgreSQL's state: it reads its files when it starts.
    RegentAgent.Answer reload = agent.send("POST", "/reload", null, CALL);
    assertThat(reload.status()).as(reload.body()).isEqualTo(202);
    assertThat(reload.body()).isEqualTo("reload scheduled");

    config.remove("pause");
    storeConfig(config);
    await().atMost(Duration.ofSeconds(90)).until(FailsafeSingleMemberIT::writable);
  }

  /**
   * Each test starts here, whichever ran before it: the member is a writable primary and the
   * cluster's configuration is stored (each test puts back what it changed).
   */
  private static ObjectNode primaryAndItsConfig() throws Exception {
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> agent.send("GET", "/primary", null, CALL).status() == 200);
    await().atMost(Duration.ofSeconds(90)).until(FailsafeSingleMemberIT::writable);
    await().atMost(Duration.ofSeconds(30)).until(() -> etcd.get(key("config")).isPresent());
    return (ObjectNode) JSON.readTree(etcd.get(key("config")).orElseThrow());
  }

  private static boolean readOnly() {
    return agent.readOnly();
  }

  /** Writes {@code config} as the cluster's configuration in the store. */
  private static void storeConfig(ObjectNode config) throws Exception {
    etcd.put(key("config"), JSON.writeValueAsString(config));
  }

  private static String key(String name) {
    return "/service/" + SCOPE + "/" + name;
  }

  private static boolean writable() {
    return agent.writable();
  }
}
