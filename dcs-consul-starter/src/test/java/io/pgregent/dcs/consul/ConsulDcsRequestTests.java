package io.pgregent.dcs.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.dcs.consul.RecordingHttpServer.Answer;
import io.pgregent.dcs.consul.RecordingHttpServer.Recorded;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the Consul store client sends, and how it reads Consul's answers, against an in-process HTTP
 * server that records requests and answers as Consul's HTTP API documents. This checks our side of
 * the wire only; the conformance kit against a real Consul checks the behaviour.
 */
@Timeout(60)
class ConsulDcsRequestTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ClusterPath PATH = ClusterPath.of("/service", "batman");
  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(30), Duration.ofSeconds(1));

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** Answers as Consul does for a cluster with no keys and one session per create. */
  static Answer emptyConsul(Recorded r) {
    if (r.path().equals("/v1/session/create")) {
      return Answer.ok("{\"ID\":\"adf4238a-882b-9ddc-4a9d-5b6758e4159e\"}");
    }
    if (r.path().startsWith("/v1/session/renew/")) {
      return Answer.ok("[{\"ID\":\"" + r.path().substring(18) + "\",\"TTL\":\"15s\"}]");
    }
    if (r.path().startsWith("/v1/kv/") && r.method().equals("GET")) {
      return new Answer(404, "", 7);
    }
    if (r.path().startsWith("/v1/kv/")) {
      return Answer.ok("true");
    }
    return Answer.ok("");
  }

  private RecordingHttpServer server(java.util.function.Function<Recorded, Answer> answers)
      throws IOException {
    RecordingHttpServer s = new RecordingHttpServer(answers);
    closeables.add(s);
    return s;
  }

  private ConsulDcs dcs(ConsulSettings settings, DcsTimings timings) {
    ConsulDcs d = new ConsulDcs(settings, PATH, "pg0", timings);
    closeables.add(d);
    return d;
  }

  private ConsulDcs dcs(RecordingHttpServer server) {
    return dcs(ConsulSettings.of(server.url()), TIMINGS);
  }

  /** A member with its session created, and the server's record cleared of that. */
  private ConsulDcs dcsWithSession(RecordingHttpServer server) {
    ConsulDcs dcs = dcs(server);
    dcs.renewSession();
    server.clear();
    return dcs;
  }

  private static ConsulSettings withTokenDcAndChecks(
      String url, List<String> checks, ConsulSettings.Consistency consistency) {
    return TestConsulSettings.of(
        url,
        s -> {
          s.token = "s3cr3t-token";
          s.dc = "dc2";
          s.consistency = consistency;
          s.checks = checks;
        });
  }

  // ---- session ----

  @Test
  void theSessionIsCreatedAsPatroniDoesWithHalfTheTtlDeleteBehaviourAndNoLockDelay()
      throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    assertThat(dcs(server).renewSession()).isTrue();
    Recorded create = server.requests().get(0);
    assertThat(create.line()).isEqualTo("PUT /v1/session/create");
    JsonNode body = JSON.readTree(create.body());
    assertThat(body.path("Name").asText()).isEqualTo("batman-pg0");
    assertThat(body.path("TTL").asText()).isEqualTo("15s");
    assertThat(body.path("Behavior").asText()).isEqualTo("delete");
    assertThat(body.path("LockDelay").asText()).isEqualTo("1ms");
    assertThat(body.has("Checks")).as("unset checks leave Consul's default").isFalse();
  }

  @Test
  void configuredChecksTokenAndDatacenterGoWithEveryRequest() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ConsulDcs dcs =
        dcs(
            withTokenDcAndChecks(server.url(), List.of(), ConsulSettings.Consistency.DEFAULT),
            TIMINGS);
    dcs.renewSession();
    dcs.read();
    JsonNode body = JSON.readTree(server.requests().get(0).body());
    assertThat(body.get("Checks").isArray()).isTrue();
    assertThat(body.get("Checks")).isEmpty();
    assertThat(server.requests())
        .allSatisfy(
            r -> {
              assertThat(r.token()).isEqualTo("s3cr3t-token");
              assertThat(r.params()).contains("dc=dc2");
            });
  }

  @Test
  void theLoopsRenewalRenewsTheSessionAndALapsedSessionIsReplaced() throws Exception {
    AtomicInteger creates = new AtomicInteger();
    RecordingHttpServer server =
        server(
            r -> {
              if (r.path().equals("/v1/session/create")) {
                return Answer.ok("{\"ID\":\"session-" + creates.incrementAndGet() + "\"}");
              }
              if (r.path().equals("/v1/session/renew/session-1")) {
                return new Answer(404, "Session id 'session-1' not found", 0);
              }
              return emptyConsul(r);
            });
    ConsulDcs dcs = dcs(server);
    assertThat(dcs.renewSession()).isTrue();
    assertThat(dcs.renewSession()).as("session-1 had lapsed").isFalse();
    assertThat(dcs.renewSession()).isTrue();
    assertThat(server.requests())
        .extracting(Recorded::line)
        .containsExactly(
            "PUT /v1/session/create",
            "PUT /v1/session/renew/session-1",
            "PUT /v1/session/create",
            "PUT /v1/session/renew/session-2");
  }

  @Test
  void aShortTtlGetsConsulsMinimumSessionTtlAndAnOddOneExactlyHalf() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    dcs(
            ConsulSettings.of(server.url()),
            new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(1)))
        .renewSession();
    dcs(
            ConsulSettings.of(server.url()),
            new DcsTimings(Duration.ofSeconds(25), Duration.ofSeconds(1)))
        .renewSession();
    assertThat(server.requests())
        .extracting(r -> JSON.readTree(r.body()).path("TTL").asText())
        .containsExactly("10s", "12500ms");
  }

  @Test
  void aNewTtlMovesToANewSessionAndDestroysTheOldOne() throws Exception {
    AtomicInteger creates = new AtomicInteger();
    RecordingHttpServer server =
        server(
            r ->
                r.path().equals("/v1/session/create")
                    ? Answer.ok("{\"ID\":\"s" + creates.incrementAndGet() + "\"}")
                    : emptyConsul(r));
    ConsulDcs dcs = dcs(server);
    dcs.renewSession();
    dcs.setTimings(new DcsTimings(Duration.ofSeconds(40), Duration.ofSeconds(1)));
    assertThat(dcs.renewSession()).isTrue();
    List<Recorded> sent = server.requests();
    assertThat(sent).extracting(Recorded::line).contains("PUT /v1/session/destroy/s1");
    assertThat(JSON.readTree(sent.get(1).body()).path("TTL").asText()).isEqualTo("20s");
  }

  // ---- leader lock and keys ----

  @Test
  void theLeaderLockIsAKvAcquireWithOurSessionHoldingThePlainName() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ConsulDcs dcs = dcsWithSession(server);
    assertThat(dcs.tryAcquire()).isTrue();
    Recorded put = server.requests().get(0);
    assertThat(put.method()).isEqualTo("PUT");
    assertThat(put.path()).isEqualTo("/v1/kv/service/batman/leader");
    assertThat(put.params()).contains("acquire=adf4238a-882b-9ddc-4a9d-5b6758e4159e");
    assertThat(put.body()).isEqualTo("pg0");
  }

  @Test
  void aFailedAcquireIsOursOnlyIfTheKeyHoldsOurNameUnderOurSession() throws Exception {
    RecordingHttpServer server =
        server(
            r -> {
              if (r.path().equals("/v1/kv/service/batman/leader")) {
                return r.method().equals("PUT")
                    ? Answer.ok("false")
                    : Answer.ok(kv("service/batman/leader", "pg1", 12, "other-session"), 12);
              }
              return emptyConsul(r);
            });
    ConsulDcs dcs = dcs(server);
    dcs.renewSession();
    assertThat(dcs.tryAcquire()).isFalse();
    assertThat(dcs.refresh()).as("another member's lock is never overwritten").isFalse();
    assertThat(dcs.release()).isFalse();
    assertThat(server.requests("PUT", "/v1/kv/")).hasSize(1);
    assertThat(server.requests("DELETE", "/v1/kv/")).isEmpty();
  }

  @Test
  void refreshUnderALiveSessionWritesNothingAndReleaseIsACompareAndDelete() throws Exception {
    String session = "adf4238a-882b-9ddc-4a9d-5b6758e4159e";
    RecordingHttpServer server =
        server(
            r -> {
              if (r.path().equals("/v1/kv/service/batman/leader") && r.method().equals("GET")) {
                return Answer.ok(kv("service/batman/leader", "pg0", 31, session), 31);
              }
              return emptyConsul(r);
            });
    ConsulDcs dcs = dcsWithSession(server);
    assertThat(dcs.refresh()).isTrue();
    assertThat(server.requests()).extracting(Recorded::method).containsOnly("GET");
    assertThat(dcs.release()).isTrue();
    Recorded delete = server.requests("DELETE", "/v1/kv/").get(0);
    assertThat(delete.path()).isEqualTo("/v1/kv/service/batman/leader");
    assertThat(delete.params()).contains("cas=31");
  }

  @Test
  void refreshRetakesAnAbsentLockWithOurSession() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ConsulDcs dcs = dcsWithSession(server);
    assertThat(dcs.refresh()).isTrue();
    assertThat(server.requests())
        .extracting(Recorded::line)
        .containsExactly(
            "GET /v1/kv/service/batman/leader",
            "PUT /v1/kv/service/batman/leader?acquire=adf4238a-882b-9ddc-4a9d-5b6758e4159e");
  }

  @Test
  void theMemberKeyIsAcquiredWithTheSessionAndWrittenOnlyWhenItChanges() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ConsulDcs dcs = dcsWithSession(server);
    Member m = member("replica", "running");
    dcs.touchMember(m);
    dcs.touchMember(m);
    List<Recorded> puts = server.requests("PUT", "/v1/kv/");
    assertThat(puts).hasSize(1);
    assertThat(puts.get(0).path()).isEqualTo("/v1/kv/service/batman/members/pg0");
    assertThat(puts.get(0).params()).contains("acquire=adf4238a-882b-9ddc-4a9d-5b6758e4159e");
    assertThat(puts.get(0).body()).isEqualTo(ClusterCodec.encode(m));
    dcs.touchMember(member("primary", "running"));
    assertThat(server.requests("PUT", "/v1/kv/")).hasSize(2);
  }

  @Test
  void compareAndSetSendsTheModifyIndexAsCasAndCreateOnlyAsCasZero() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ConsulDcs dcs = dcs(server);
    assertThat(dcs.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":30}")).isTrue();
    assertThat(dcs.compareAndSet(ClusterKey.SYNC, 42, "{}")).isTrue();
    assertThat(dcs.compareAndDelete(ClusterKey.FAILOVER, 43)).isTrue();
    dcs.put(ClusterKey.STATUS, "{\"optime\":1}");
    assertThat(server.requests())
        .extracting(Recorded::line)
        .containsExactly(
            "PUT /v1/kv/service/batman/config?cas=0",
            "PUT /v1/kv/service/batman/sync?cas=42",
            "DELETE /v1/kv/service/batman/failover?cas=43",
            "PUT /v1/kv/service/batman/status");
    assertThat(server.requests().get(0).body()).isEqualTo("{\"ttl\":30}");
  }

  @Test
  void aStaleCompareAndSetReadsAsFalse() throws Exception {
    RecordingHttpServer server =
        server(r -> r.method().equals("PUT") ? Answer.ok("false") : emptyConsul(r));
    assertThat(dcs(server).compareAndSet(ClusterKey.CONFIG, 5, "{}")).isFalse();
  }

  // ---- reading ----

  @Test
  void aRecursiveReadMapsConsulsEntriesWithModifyIndexAsVersion() throws Exception {
    String body =
        "["
            + entry("service/batman/config", "{\"ttl\":30,\"loop_wait\":10}", 5, null)
            + ","
            + entry("service/batman/initialize", null, 6, null)
            + ","
            + entry("service/batman/leader", "pg1", 40, "a-session")
            + ","
            + entry(
                "service/batman/members/pg1",
                "{\"conn_url\":\"postgres://10.0.0.12:5432/postgres\",\"api_url\":"
                    + "\"http://10.0.0.12:8008/patroni\",\"state\":\"running\",\"role\":\"primary\","
                    + "\"version\":\"4.1.4\",\"xlog_location\":50331648,\"timeline\":2}",
                41,
                "a-session")
            + ","
            + entry("service/batman-other/leader", "x", 50, null)
            + "]";
    RecordingHttpServer server = server(r -> Answer.ok(body, 41));
    ConsulDcs dcs =
        dcs(withTokenDcAndChecks(server.url(), null, ConsulSettings.Consistency.STALE), TIMINGS);
    ClusterView view = dcs.read();
    Recorded get = server.requests().get(0);
    assertThat(get.path()).isEqualTo("/v1/kv/service/batman/");
    assertThat(get.params()).contains("recurse", "stale");
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(30);
    assertThat(view.config().orElseThrow().version()).isEqualTo(5);
    assertThat(view.initialize().orElseThrow().completed()).isEmpty();
    assertThat(view.initialize().orElseThrow().version()).isEqualTo(6);
    assertThat(view.leader().orElseThrow().name()).isEqualTo("pg1");
    assertThat(view.leader().orElseThrow().version()).isEqualTo(40);
    assertThat(view.members()).containsOnlyKeys("pg1");
    assertThat(view.member("pg1").orElseThrow().xlogLocation()).contains(50331648L);
    assertThat(view.malformedKeys()).isEmpty();
  }

  @Test
  void anEmptyClusterIsConsuls404() throws Exception {
    RecordingHttpServer server = server(ConsulDcsRequestTests::emptyConsul);
    ClusterView view = dcs(server).read();
    assertThat(view.leader()).isEmpty();
    assertThat(view.members()).isEmpty();
  }

  // ---- watch ----

  @Test
  void theWatchIsABlockingQueryFromTheReadsIndexAndOnlyMeaningfulChangesWake() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    String member1 = entry("service/batman/members/pg1", "{\"state\":\"running\"}", 30, "s");
    String member1Moved = entry("service/batman/members/pg1", "{\"state\":\"running\"}", 35, "s");
    String member2 = entry("service/batman/members/pg2", "{\"state\":\"running\"}", 36, "t");
    RecordingHttpServer server =
        server(
            r -> {
              if (!r.params().stream().anyMatch(p -> p.startsWith("index="))) {
                return Answer.ok("[" + member1 + "]", 30);
              }
              return switch (polls.incrementAndGet()) {
                case 1 -> Answer.ok("[" + member1Moved + "]", 35); // a routine write
                default -> Answer.ok("[" + member1Moved + "," + member2 + "]", 36); // new member
              };
            });
    ConsulDcs dcs = dcs(server);
    dcs.read();
    long since = dcs.changeCount();
    assertThat(dcs.awaitChange(since, Duration.ofSeconds(20))).isTrue();
    List<Recorded> blocking =
        server.requests().stream()
            .filter(r -> r.params().stream().anyMatch(p -> p.startsWith("index=")))
            .toList();
    assertThat(blocking).hasSize(2);
    assertThat(blocking.get(0).params()).contains("recurse", "index=30");
    assertThat(blocking.get(1).params()).contains("index=35");
    long waitMs = waitMillis(blocking.get(0));
    assertThat(waitMs).isPositive().isLessThanOrEqualTo(20_000);
  }

  @Test
  void aLostWatchCountsAsAChangeSoTheLoopReReads() throws Exception {
    RecordingHttpServer server =
        server(
            r ->
                r.params().stream().anyMatch(p -> p.startsWith("index="))
                    ? new Answer(500, "No cluster leader", 0)
                    : Answer.ok("[]", 9));
    ConsulDcs dcs = dcs(server);
    dcs.read();
    assertThat(dcs.awaitChange(dcs.changeCount(), Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void aThreadWaitingForAChangeSeesAnInterruptWhileTheBlockingQueryIsOpen() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch queried = new java.util.concurrent.CountDownLatch(1);
    RecordingHttpServer server =
        server(
            r -> {
              if (r.params().stream().anyMatch(p -> p.startsWith("index="))) {
                // Consul holds a blocking query open until something changes.
                queried.countDown();
                try {
                  release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              return Answer.ok("[]", 9);
            });
    closeables.add(release::countDown);
    ConsulDcs dcs = dcs(server);
    dcs.read();
    java.util.concurrent.atomic.AtomicReference<Throwable> outcome =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread loop =
        new Thread(
            () -> {
              try {
                dcs.awaitChange(dcs.changeCount(), Duration.ofSeconds(25));
                outcome.set(new AssertionError("returned without an interrupt"));
              } catch (Throwable t) {
                outcome.set(t);
              }
            });
    loop.start();
    assertThat(queried.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    loop.interrupt();
    // Seen while the query is still open: a stopping agent does not wait for it.
    loop.join(Duration.ofSeconds(5).toMillis());
    assertThat(loop.isAlive()).isFalse();
    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    assertThat(release.getCount()).isEqualTo(1);
  }

  // ---- failures ----

  @Test
  void consulAnswering500IsRetriedThenUnreachableNamingTheEndpoint() throws Exception {
    RecordingHttpServer server = server(r -> new Answer(500, "No cluster leader", 0));
    ConsulDcs dcs = dcs(server);
    assertThatThrownBy(dcs::read)
        .isInstanceOf(DcsUnreachableException.class)
        .hasMessageContaining(String.valueOf(server.port()));
    // The last attempt gets only what is left of retry_timeout, so its own failure may be a
    // timeout; what matters is that the 500s were retried rather than surfaced at once.
    assertThat(server.requests().size()).as("retried").isGreaterThan(1);
  }

  @Test
  void aRefusedTokenIsAConfigurationErrorAtOnce() throws Exception {
    RecordingHttpServer server =
        server(r -> new Answer(403, "Permission denied: token lacks 'key:read'", 0));
    ConsulDcs dcs = dcs(server);
    assertThatThrownBy(dcs::read)
        .isInstanceOf(DcsConfigurationException.class)
        .hasMessageContaining("consul.token");
    assertThat(server.requests()).hasSize(1);
  }

  @Test
  void nothingListeningIsUnreachableNamingTheEndpoint() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ConsulDcs dcs = dcs(ConsulSettings.of("http://127.0.0.1:" + port), TIMINGS);
    assertThatThrownBy(dcs::renewSession)
        .isInstanceOf(DcsUnreachableException.class)
        .hasMessageContaining("127.0.0.1:" + port);
  }

  @Test
  void aSilentServerIsUnreachableWithinRetryTimeout() throws Exception {
    ServerSocket silent = new ServerSocket(0);
    closeables.add(silent);
    List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (!silent.isClosed()) {
                  accepted.add(silent.accept());
                }
              } catch (IOException e) {
                // closed
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    closeables.add(() -> accepted.forEach(s -> closeQuietly(s)));
    ConsulDcs dcs = dcs(ConsulSettings.of("http://127.0.0.1:" + silent.getLocalPort()), TIMINGS);
    long start = System.nanoTime();
    assertThatThrownBy(dcs::read).isInstanceOf(DcsUnreachableException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("bounded by retry_timeout")
        .isLessThanOrEqualTo(TIMINGS.retryTimeout().plusSeconds(1));
  }

  // ---- helpers ----

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  static long waitMillis(Recorded r) {
    String wait = r.params().stream().filter(p -> p.startsWith("wait=")).findFirst().orElseThrow();
    String v = wait.substring(5);
    return v.endsWith("ms")
        ? Long.parseLong(v.substring(0, v.length() - 2))
        : Long.parseLong(v.substring(0, v.length() - 1)) * 1000;
  }

  static Member member(String role, String state) {
    var data = ClusterCodec.nodes().objectNode();
    data.put("conn_url", "postgres://10.0.0.11:5432/postgres");
    data.put("api_url", "http://10.0.0.11:8008/patroni");
    data.put("state", state);
    data.put("role", role);
    data.put("version", "4.1.4");
    return Member.of("pg0", data);
  }

  /** One entry as Consul's {@code GET /v1/kv/<key>} lists it (Value base64, null for none). */
  static String entry(String key, String value, long modifyIndex, String session) {
    return "{\"LockIndex\":"
        + (session == null ? 0 : 1)
        + ",\"Key\":\""
        + key
        + "\",\"Flags\":0,\"Value\":"
        + (value == null
            ? "null"
            : "\""
                + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))
                + "\"")
        + (session == null ? "" : ",\"Session\":\"" + session + "\"")
        + ",\"CreateIndex\":"
        + (modifyIndex - 1)
        + ",\"ModifyIndex\":"
        + modifyIndex
        + "}";
  }

  static String kv(String key, String value, long modifyIndex, String session) {
    return "[" + entry(key, value, modifyIndex, session) + "]";
  }
}
