package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.tls.PemTls;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that call the members' REST API: what regentctl sends (method, path, body, Basic
 * credentials on unsafe requests), to whom, and what it reports. Members are recording HTTP
 * endpoints; the cluster lives in a real etcd.
 */
@Timeout(120)
class RestCommandsTests extends WithEtcd {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASIC =
      "Basic "
          + Base64.getEncoder().encodeToString("admin:s3cret".getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;

  FakeMember pg0;
  FakeMember pg1;
  FakeMember pg2;
  String scope;
  String cfg;

  @BeforeEach
  void cluster(TestInfo info) throws Exception {
    pg0 = new FakeMember();
    pg1 = new FakeMember();
    pg2 = new FakeMember();
    scope = info.getTestMethod().orElseThrow().getName().toLowerCase();
    writeCluster(pg1.apiUrl(), "{\"ttl\":30,\"loop_wait\":10}");
    cfg =
        ctlConfig(
            dir.resolve("ctl.yml"),
            scope,
            "restapi:\n  authentication:\n    username: admin\n    password: s3cret\n");
  }

  @AfterEach
  void closeMembers() {
    pg0.close();
    pg1.close();
    pg2.close();
  }

  /** pg1 leads; the leader's api_url is given so that a test can point it elsewhere. */
  private void writeCluster(String leaderApi, String config) {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("config", config);
    keys.put("initialize", "7710782928459690229");
    keys.put("leader", "pg1");
    keys.put("members/pg0", member(5432, pg0.apiUrl(), "replica"));
    keys.put("members/pg1", member(5433, leaderApi, "primary"));
    keys.put("members/pg2", member(5434, pg2.apiUrl(), "replica"));
    keys.put("status", "{\"optime\":67109632}");
    Captures.write(etcd, scope, keys);
  }

  private static String member(int port, String api, String role) {
    return member(port, api, role, "running", 2);
  }

  private static String member(int port, String api, String role, String state, int timeline) {
    return "{\"conn_url\":\"postgres://127.0.0.1:"
        + port
        + "/postgres\",\"api_url\":\""
        + api
        + "\",\"state\":\""
        + state
        + "\",\"role\":\""
        + role
        + "\",\"version\":\"4.1.4\",\"xlog_location\":67109632,\"timeline\":"
        + timeline
        + "}";
  }

  /** What the agents write when {@code to} took over from pg1: the lock, roles, a new timeline. */
  private void switchedOver(String to, FakeMember toMember, int toPort) {
    etcd.put("/service/" + scope + "/leader", to);
    etcd.put(
        "/service/" + scope + "/members/" + to,
        member(toPort, toMember.apiUrl(), "primary", "running", 3));
    etcd.put(
        "/service/" + scope + "/members/pg1",
        member(5433, pg1.apiUrl(), "replica", "streaming", 3));
  }

  @Test
  void demoteClusterSetsStandbyClusterOnTheLeaderAndWaitsForTheStandbyLeader() throws Exception {
    java.util.concurrent.CompletableFuture<Ctl.Result> demoted =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                Ctl.run(
                    "-c",
                    cfg,
                    "demote-cluster",
                    "--force",
                    "--host",
                    "10.0.0.9",
                    "--port",
                    "5433",
                    "--primary-slot-name",
                    "dr_site"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> !pg1.requests.isEmpty());
    FakeMember.Request r = pg1.requests.get(0);
    assertThat(r.method()).isEqualTo("PATCH");
    assertThat(r.path()).isEqualTo("/config");
    assertThat(JSON.readTree(r.body()))
        .isEqualTo(
            JSON.readTree(
                "{\"standby_cluster\": {\"host\": \"10.0.0.9\", \"port\": 5433,"
                    + " \"primary_slot_name\": \"dr_site\"}}"));
    // The command returns once the leader runs as the standby leader.
    etcd.put("/service/" + scope + "/members/pg1", member(5433, pg1.apiUrl(), "standby_leader"));
    Ctl.Result result = demoted.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out()).contains("cluster is successfully demoted");

    Ctl.Result again = Ctl.run("-c", cfg, "demote-cluster", "--force", "--host", "10.0.0.9");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).isEqualTo("regentctl: Cluster is already in the required state\n");
  }

  @Test
  void demoteClusterNeedsAHostAPortOrARestoreCommand() {
    Ctl.Result r = Ctl.run("-c", cfg, "demote-cluster", "--force", "--primary-slot-name", "x");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo("regentctl: At least --host, --port or --restore-command should be specified\n");
    assertThat(pg1.requests).isEmpty();
  }

  @Test
  void promoteClusterRemovesStandbyCluster() throws Exception {
    etcd.put("/service/" + scope + "/members/pg1", member(5433, pg1.apiUrl(), "standby_leader"));
    java.util.concurrent.CompletableFuture<Ctl.Result> promoted =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> Ctl.run("-c", cfg, "promote-cluster", "--force"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> !pg1.requests.isEmpty());
    assertThat(JSON.readTree(pg1.requests.get(0).body()))
        .isEqualTo(JSON.readTree("{\"standby_cluster\": null}"));
    etcd.put("/service/" + scope + "/members/pg1", member(5433, pg1.apiUrl(), "primary"));
    Ctl.Result result = promoted.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out()).contains("cluster is successfully promoted");
  }

  @Test
  void pauseAndResumePatchTheConfigThroughTheLeaderWithCredentials() {
    Ctl.Result paused = Ctl.run("-c", cfg, "pause");

    assertThat(paused.code()).as(paused.err()).isZero();
    assertThat(paused.out()).isEqualTo("Success: cluster management is paused\n");
    assertThat(pg1.requests).hasSize(1);
    FakeMember.Request r = pg1.requests.get(0);
    assertThat(r.method()).isEqualTo("PATCH");
    assertThat(r.path()).isEqualTo("/config");
    assertThat(r.body()).isEqualTo("{\"pause\": true}");
    assertThat(r.authorization()).isEqualTo(BASIC);
    assertThat(pg0.requests).isEmpty();

    etcd.put("/service/" + scope + "/config", "{\"ttl\":30,\"loop_wait\":10,\"pause\":true}");
    Ctl.Result again = Ctl.run("-c", cfg, "pause");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).isEqualTo("regentctl: Cluster is already paused\n");

    Ctl.Result resumed = Ctl.run("-c", cfg, "resume");
    assertThat(resumed.out()).isEqualTo("Success: cluster management is resumed\n");
    assertThat(pg1.requests.get(1).body()).isEqualTo("{\"pause\": null}");
  }

  @Test
  void ctlCredentialsWinOverTheRestApiOnes() throws Exception {
    Files.writeString(
        Path.of(cfg),
        Files.readString(Path.of(cfg))
            + "ctl:\n  authentication:\n    username: operator\n    password: op\n");

    Ctl.run("-c", cfg, "pause");

    assertThat(pg1.requests.get(0).authorization())
        .isEqualTo(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("operator:op".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void switchoverPostsToTheLeaderAndReportsTheLeaderTheStoreShows() throws Exception {
    pg1.answer =
        r -> {
          switchedOver("pg2", pg2, 5434);
          return new FakeMember.Reply(200, "Successfully switched over to \"pg2\"");
        };

    Ctl.Result r = Ctl.run("-c", cfg, "switchover", "--candidate", "pg2", "--force");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(pg1.requests).hasSize(1);
    FakeMember.Request req = pg1.requests.get(0);
    assertThat(req.method()).isEqualTo("POST");
    assertThat(req.path()).isEqualTo("/switchover");
    assertThat(JSON.readTree(req.body()))
        .isEqualTo(JSON.readTree("{\"leader\": \"pg1\", \"candidate\": \"pg2\"}"));
    assertThat(req.authorization()).isEqualTo(BASIC);
    assertThat(r.out()).contains("Successfully switched over to \"pg2\"");
    // each step the store showed, then the outcome it shows
    assertThat(r.out())
        .contains("new leader holds the lock: pg2 holds the leader lock and runs as primary")
        .contains("old leader rejoining: pg1 rejoined as a replica")
        .contains("Switched over to \"pg2\": the store shows it leading on timeline 3");
    assertThat(r.out()).contains("| pg2    | 127.0.0.1:5434 | Leader  |");
  }

  @Test
  void switchoverRefusedByTheLeaderFailsWithItsReason() {
    pg1.answer = r -> new FakeMember.Reply(412, "candidate name does not match with sync_standby");

    Ctl.Result r = Ctl.run("-c", cfg, "switchover", "--candidate", "pg0", "--force");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "regentctl: Switchover failed, details: 412, candidate name does not match with"
                + " sync_standby\n");
  }

  @Test
  void statusUnknownFromTheLeaderEndsWithWhatTheStoreShows() {
    pg1.answer =
        r -> {
          switchedOver("pg0", pg0, 5432);
          return new FakeMember.Reply(
              503,
              "Switchover status unknown after 20 seconds; operation may still be in progress");
        };

    Ctl.Result r = Ctl.run("-c", cfg, "switchover", "--force");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Switchover reply: 503, Switchover status unknown");
    assertThat(r.out())
        .contains("Switched over to \"pg0\": the store shows it leading on timeline 3");
  }

  @Test
  void switchoverThatNeverHappensIsReportedAfterTheStatedBound() {
    pg1.answer =
        r ->
            new FakeMember.Reply(
                503,
                "Switchover status unknown after 20 seconds; operation may still be in progress");

    Ctl.Result r = Ctl.run("-c", cfg, "switchover", "--candidate", "pg2", "--force");

    assertThat(r.code()).isEqualTo(1);
    // loop_wait is 10 in the stored configuration: Patroni's own bound, 2 × max(10, loop_wait)
    assertThat(r.out()).contains("Waiting up to 20 s for the store to show the new leader");
    assertThat(r.out()).contains("| pg1    | 127.0.0.1:5433 | Leader  |");
    // never "unknown": the step still pending, and why, in the store's terms
    assertThat(r.err())
        .matches(
            "regentctl: Switchover not completed after 2\\d s: step \"requested\" is pending: the"
                + " store holds no switchover request\n");
  }

  @Test
  void switchoverAsksBeforeActing() {
    Ctl.Result r = Ctl.withInput("\npg2\nnow\nn\n", "-c", cfg, "switchover");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out())
        .contains("Primary [pg1]: ")
        .contains("Candidate ['pg0', 'pg2'] []: ")
        .contains("[now]: ")
        .contains(
            "Are you sure you want to switchover cluster "
                + scope
                + ", demoting current leader pg1? [y/N]");
    assertThat(r.err()).isEqualTo("regentctl: Aborted\n");
    assertThat(pg1.requests).isEmpty();
  }

  @Test
  void switchoverWritesTheFailoverKeyWhenTheLeaderCannotBeReached() throws Exception {
    writeCluster(
        "http://127.0.0.1:" + FreePorts.next() + "/patroni", "{\"ttl\":30,\"loop_wait\":10}");

    Ctl.Result r =
        Ctl.run(
            "-c",
            cfg,
            "switchover",
            "--candidate",
            "pg2",
            "--scheduled",
            "2030-01-01T12:00+00:00",
            "--force");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("writing the failover key in the store");
    JsonNode key = JSON.readTree(etcd.get("/service/" + scope + "/failover").orElseThrow());
    assertThat(key.get("leader").asText()).isEqualTo("pg1");
    assertThat(key.get("member").asText()).isEqualTo("pg2");
    assertThat(key.get("scheduled_at").asText()).isEqualTo("2030-01-01T12:00Z");
  }

  @Test
  void failoverNeedsACandidate() {
    Ctl.Result r = Ctl.run("-c", cfg, "failover", "--force");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("Failover could be performed only to a specific candidate");
    assertThat(pg1.requests).isEmpty();
  }

  @Test
  void restartReloadAndReinitCallTheChosenMembers() throws Exception {
    pg0.answer =
        r ->
            switch (r.path()) {
              case "/reload" -> new FakeMember.Reply(202, "reload scheduled");
              case "/reinitialize" -> new FakeMember.Reply(200, "reinitialize started");
              default -> new FakeMember.Reply(200, "restarted successfully");
            };
    pg2.answer = pg0.answer;
    pg1.answer = r -> new FakeMember.Reply(503, "restart failed");

    Ctl.Result restart =
        Ctl.run("-c", cfg, "restart", scope, "pg0", "--pending", "--role", "replica", "--force");
    // the steps as the store shows them, then patronictl's line
    assertThat(restart.out())
        .matches(
            "(?s)\\S+ \\S+ restart requested: POST /restart sent to pg0\n"
                + "\\S+ \\S+ PostgreSQL stopping: seen through pg0's answer\n"
                + "\\S+ \\S+ running again: the store shows pg0 running\n"
                + "Success: restart on member pg0\n");
    FakeMember.Request req = pg0.requests.get(0);
    assertThat(req.path()).isEqualTo("/restart");
    assertThat(JSON.readTree(req.body()))
        .isEqualTo(JSON.readTree("{\"restart_pending\": true, \"role\": \"replica\"}"));
    assertThat(req.authorization()).isEqualTo(BASIC);

    Ctl.Result leader = Ctl.run("-c", cfg, "restart", scope, "pg1", "--force");
    assertThat(leader.code()).isEqualTo(1);
    assertThat(leader.out())
        .endsWith("Failed: restart for member pg1, status code=503, (restart failed)\n");

    Ctl.Result reload = Ctl.run("-c", cfg, "reload", scope, "--role", "replica", "--force");
    assertThat(reload.out())
        .isEqualTo(
            "Reload request received for member pg0 and will be processed within 10 seconds\n"
                + "Reload request received for member pg2 and will be processed within 10 seconds\n");
    assertThat(pg1.requests.stream().filter(x -> x.path().equals("/reload"))).isEmpty();

    Ctl.Result reinit = Ctl.run("-c", cfg, "reinit", scope, "pg2", "--force");
    assertThat(reinit.out()).isEqualTo("Success: reinitialize for member pg2\n");
    FakeMember.Request re = pg2.requests.get(pg2.requests.size() - 1);
    assertThat(re.path()).isEqualTo("/reinitialize");
    assertThat(JSON.readTree(re.body()))
        .isEqualTo(JSON.readTree("{\"force\": true, \"from_leader\": false}"));

    Ctl.Result notReplica = Ctl.run("-c", cfg, "reinit", scope, "pg1", "--force");
    assertThat(notReplica.code()).isEqualTo(1);
    assertThat(notReplica.err())
        .contains("pg1 is not a member of cluster " + scope + " with role replica");
  }

  @Test
  void flushSwitchoverDeletesTheScheduledOne() {
    etcd.put(
        "/service/" + scope + "/failover",
        "{\"leader\":\"pg1\",\"member\":\"pg2\",\"scheduled_at\":\"2030-01-01T12:00:00+00:00\"}");
    pg1.answer = r -> new FakeMember.Reply(200, "scheduled switchover deleted");

    Ctl.Result r = Ctl.run("-c", cfg, "flush", scope, "switchover", "--force");

    assertThat(r.out()).isEqualTo("Success: scheduled switchover deleted\n");
    assertThat(pg1.requests.get(0).method()).isEqualTo("DELETE");
    assertThat(pg1.requests.get(0).path()).isEqualTo("/switchover");
    assertThat(pg1.requests.get(0).authorization()).isEqualTo(BASIC);
  }

  @Test
  void versionAsksEachMember() {
    FakeMember.Reply status =
        new FakeMember.Reply(
            200,
            "{\"state\":\"running\",\"server_version\":150006,"
                + "\"patroni\":{\"version\":\"4.1.4\",\"scope\":\"x\",\"name\":\"pg0\"},"
                + "\"regent_version\":\"0.1.0\"}");
    pg0.answer = r -> status;

    Ctl.Result r = Ctl.run("-c", cfg, "version", scope, "pg0");

    assertThat(r.out().lines())
        .containsExactly(
            VersionCommand.line(), "pg0: Patroni 4.1.4 PostgreSQL 15.6 (Regent 0.1.0)");
    assertThat(pg0.requests.get(0).method()).isEqualTo("GET");
    assertThat(pg0.requests.get(0).authorization()).isNull();
  }

  @Test
  void membersBehindTlsAreCalledWithTheClientCertificateAndItsEncryptedKey() throws Exception {
    TestCertificates certs =
        TestCertificates.in(dir)
            .ca("ca", "/CN=regent-test-ca")
            .signed("member", "/CN=127.0.0.1", "ca", "serverAuth", "IP:127.0.0.1")
            .signed("ctl", "/CN=regentctl", "ca", "clientAuth", null);
    // openssl 3 encrypts with PBES2 (AES-256, HMAC-SHA256), as operators' keys are today
    certs.openssl(
        "pkcs8", "-topk8", "-in", "ctl.key", "-out", "ctl-enc.key", "-passout", "pass:k3y");
    SSLContext memberTls =
        PemTls.context(
            PemTls.keys(certs.crt("member"), "cert", certs.key("member"), "key", null),
            PemTls.trust(certs.crt("ca"), "cacert"));
    try (FakeMember secure = new FakeMember(memberTls)) {
      secure.answer = r -> new FakeMember.Reply(200, "restarted successfully");
      writeCluster(pg1.apiUrl(), "{\"ttl\":30,\"loop_wait\":10}");
      etcd.put("/service/" + scope + "/members/pg0", member(5432, secure.apiUrl(), "replica"));
      String tls =
          "ctl:\n  cacert: %s\n  certfile: %s\n  keyfile: %s\n  keyfile_password: k3y\n"
              .formatted(certs.crt("ca"), certs.crt("ctl"), dir.resolve("ctl-enc.key"));
      String withTls = ctlConfig(dir.resolve("tls.yml"), scope, tls);

      Ctl.Result restart = Ctl.run("-c", withTls, "restart", scope, "pg0", "--force");

      assertThat(restart.out()).endsWith("Success: restart on member pg0\n");
      assertThat(secure.requests).extracting(FakeMember.Request::path).contains("/restart");

      // Without the client certificate the member refuses the handshake: nothing is sent.
      int before = secure.requests.size();
      String noCert =
          ctlConfig(dir.resolve("nocert.yml"), scope, "ctl:\n  cacert: " + certs.crt("ca") + "\n");
      Ctl.Result refused = Ctl.run("-c", noCert, "restart", scope, "pg0", "--force");
      assertThat(refused.code()).isEqualTo(1);
      assertThat(secure.requests).hasSize(before);

      // A wrong password is named as the setting it belongs to.
      String wrong =
          ctlConfig(dir.resolve("wrong.yml"), scope, tls.replace("password: k3y", "password: x"));
      Ctl.Result bad = Ctl.run("-c", wrong, "restart", scope, "pg0", "--force");
      assertThat(bad.code()).isEqualTo(1);
      assertThat(bad.out() + bad.err()).contains("ctl.keyfile");
    }
  }
}
