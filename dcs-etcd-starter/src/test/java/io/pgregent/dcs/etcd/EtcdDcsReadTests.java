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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A read at rest reuses the last view after a small probe; every kind of change in between must
 * still be seen: a value rewritten in place, a key replaced by another (same count), a key gone.
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

  private static com.fasterxml.jackson.databind.node.ObjectNode member(String state) {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .createObjectNode()
        .put("state", state)
        .put("conn_url", "postgres://127.0.0.1:5432/postgres");
  }
}
