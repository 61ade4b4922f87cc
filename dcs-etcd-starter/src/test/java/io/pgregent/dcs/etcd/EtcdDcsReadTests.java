package io.pgregent.dcs.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.EtcdServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A read at rest reuses the last view after a small probe; every kind of change in between must
 * still be seen: a value rewritten in place, a key replaced by another (same count), a key gone. A
 * leader at rest costs the store one read and one keep-alive per cycle, counted by etcd itself.
 */
@Timeout(60)
class EtcdDcsReadTests {

  private static EtcdServer etcd;
  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(2));

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  private static EtcdDcs connect(ClusterPath path, String member) {
    return new EtcdDcs(
        new EtcdSettings(List.of(URI.create(etcd.clientUrl())), null, null, null, null, null),
        path,
        member,
        TIMINGS);
  }

  private static String state(ClusterView view, String member) {
    return view.member(member).map(m -> m.data().path("state").asText()).orElse("absent");
  }

  @Test
  void aValueRewrittenInPlaceIsSeen() {
    ClusterPath path = ClusterPath.of(null, "read-rewrite");
    try (EtcdDcs a = connect(path, "a")) {
      etcd.put(path.key("members/b"), "{\"state\":\"starting\"}");
      assertThat(state(a.read(), "b")).isEqualTo("starting");
      assertThat(state(a.read(), "b")).isEqualTo("starting");
      etcd.put(path.key("members/b"), "{\"state\":\"running\"}");
      assertThat(state(a.read(), "b")).isEqualTo("running");
    }
  }

  @Test
  void aKeyReplacedByAnotherIsSeenThoughTheCountIsTheSame() {
    ClusterPath path = ClusterPath.of(null, "read-replace");
    try (EtcdDcs a = connect(path, "a");
        EtcdDcs b = connect(path, "b")) {
      b.renewSession();
      b.touchMember(Member.of("b", member("running")));
      ClusterView before = a.read();
      assertThat(before.members()).containsOnlyKeys("b");
      b.deleteMember();
      etcd.put(path.key("members/c"), "{\"state\":\"running\"}");
      assertThat(a.read().members()).containsOnlyKeys("c");
    }
  }

  @Test
  void aKeyGoneIsSeen() {
    ClusterPath path = ClusterPath.of(null, "read-delete");
    try (EtcdDcs a = connect(path, "a");
        EtcdDcs b = connect(path, "b")) {
      b.renewSession();
      b.touchMember(Member.of("b", member("running")));
      b.tryAcquire();
      assertThat(a.read().isLockedBy("b")).isTrue();
      assertThat(a.read().isLockedBy("b")).isTrue();
      b.release();
      assertThat(a.read().leader()).isEmpty();
      assertThat(a.read().members()).containsOnlyKeys("b");
    }
  }

  @Test
  void aLeaderAtRestCostsOneReadAndOneKeepAlivePerCycle() throws Exception {
    ClusterPath path = ClusterPath.of(null, "read-leader-at-rest");
    try (EtcdDcs a = connect(path, "a")) {
      a.renewSession();
      assertThat(a.tryAcquire()).isTrue();
      a.read();
      Map<String, Long> before = etcd.grpcCounts("grpc_server_msg_received_total");
      Map<String, Long> streamsBefore = etcd.grpcCounts("grpc_server_started_total");
      for (int cycle = 0; cycle < 3; cycle++) {
        assertThat(a.read().isLockedBy("a")).isTrue();
        assertThat(a.renewSession()).isTrue();
        assertThat(a.refresh()).isTrue();
      }
      Map<String, Long> after = etcd.grpcCounts("grpc_server_msg_received_total");
      Map<String, Long> streamsAfter = etcd.grpcCounts("grpc_server_started_total");
      assertThat(delta(before, after, "Range")).isEqualTo(3);
      assertThat(delta(before, after, "LeaseKeepAlive")).isEqualTo(3);
      // One keep-alive stream, kept open from one renewal to the next.
      assertThat(delta(streamsBefore, streamsAfter, "LeaseKeepAlive")).isLessThanOrEqualTo(1);
      assertThat(delta(before, after, "Txn")).isZero();
      assertThat(delta(before, after, "Put")).isZero();
    }
  }

  @Test
  void aLockTakenByAnotherSinceTheLastCycleIsNotRefreshed() {
    ClusterPath path = ClusterPath.of(null, "read-leader-taken");
    try (EtcdDcs a = connect(path, "a");
        EtcdDcs b = connect(path, "b")) {
      a.renewSession();
      assertThat(a.tryAcquire()).isTrue();
      a.read();
      a.renewSession();
      assertThat(a.refresh()).isTrue();
      // Taken over behind a's back (an operator deleted the key, b raced for it).
      etcd.delete(path.key("leader"));
      b.renewSession();
      assertThat(b.tryAcquire()).isTrue();
      assertThat(a.read().isLockedBy("b")).isTrue();
      assertThat(a.renewSession()).isTrue();
      assertThat(a.refresh()).isFalse();
      assertThat(b.read().isLockedBy("b")).isTrue();
    }
  }

  static long delta(Map<String, Long> before, Map<String, Long> after, String method) {
    return after.getOrDefault(method, 0L) - before.getOrDefault(method, 0L);
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode member(String state) {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .createObjectNode()
        .put("state", state)
        .put("conn_url", "postgres://127.0.0.1:5432/postgres");
  }
}
