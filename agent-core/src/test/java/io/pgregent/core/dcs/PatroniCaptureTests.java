package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import org.junit.jupiter.api.Test;

/** A real Patroni 3.0.2 cluster's keys read through our model. */
class PatroniCaptureTests {

  private final PatroniCapture capture = PatroniCapture.load();
  private final ClusterPath path = ClusterPath.of("/service", "bench");

  @Test
  void theCaptureHasTheSnapshotsWeRelyOn() {
    assertThat(capture.snapshots).hasSize(3);
    assertThat(capture.watchedPuts).hasSizeGreaterThan(20);
  }

  @Test
  void afterBootstrap() {
    ClusterView view = new ClusterViewAssembler(path).assemble(capture.snapshot("## 1."));
    assertThat(view.malformedKeys()).isEmpty();
    assertThat(view.initialize().orElseThrow().completed()).contains("7710782928459690229");
    assertThat(view.leader().orElseThrow().name()).isEqualTo("pg0");
    assertThat(view.members()).containsOnlyKeys("pg0", "pg1", "pg2");
    Member pg0 = view.leaderMember().orElseThrow();
    assertThat(pg0.role()).as("Patroni 3's master reads as primary").contains("primary");
    assertThat(pg0.connUrl()).contains("postgres://127.0.0.1:5432/postgres");
    assertThat(pg0.apiUrl()).contains("http://127.0.0.1:8008/patroni");
    assertThat(pg0.patroniVersion()).contains("3.0.2");
    assertThat(pg0.xlogLocation()).contains(33554432L);
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(30);
    assertThat(view.config().orElseThrow().loopWait()).isEqualTo(10);
    assertThat(view.config().orElseThrow().retryTimeout()).isEqualTo(10);
    assertThat(view.config().orElseThrow().maximumLagOnFailover()).isEqualTo(1048576);
    assertThat(view.status().orElseThrow().optime()).isEqualTo(33554432L);
    assertThat(view.failover()).isEmpty();
    assertThat(view.history()).isEmpty();
  }

  @Test
  void afterASwitchover() {
    ClusterView view = new ClusterViewAssembler(path).assemble(capture.snapshot("## 2."));
    assertThat(view.malformedKeys()).isEmpty();
    assertThat(view.leader().orElseThrow().name()).isEqualTo("pg1");
    assertThat(view.failover().orElseThrow().isEmpty()).isTrue();
    var entry = view.history().orElseThrow().entries().get(0);
    assertThat(entry.timeline()).isEqualTo(1);
    assertThat(entry.switchLsn()).isEqualTo(67109256L);
    assertThat(entry.reason()).isEqualTo("no recovery target specified");
    assertThat(entry.timestamp()).isEqualTo("2026-11-22T00:16:34.883479+00:00");
    assertThat(entry.newLeader()).isEqualTo("pg1");
    assertThat(view.member("pg0").orElseThrow().timeline()).contains(2L);
  }

  @Test
  void afterEnablingSynchronousMode() {
    ClusterView view = new ClusterViewAssembler(path).assemble(capture.snapshot("## 4."));
    assertThat(view.malformedKeys()).isEmpty();
    assertThat(view.config().orElseThrow().data().get("synchronous_mode").asBoolean()).isTrue();
    var sync = view.sync().orElseThrow();
    assertThat(sync.leader()).isEqualTo("pg1");
    assertThat(sync.syncStandbys()).containsExactly("pg2");
    assertThat(sync.quorum()).isNull();
  }

  @Test
  void everyValueTheWatchSawParses() {
    for (RawNode put : capture.watchedPuts) {
      ClusterView view = new ClusterViewAssembler(path).assemble(java.util.List.of(put));
      assertThat(view.malformedKeys()).as(put.path() + " = " + put.value()).isEmpty();
    }
  }

  @Test
  void ourEncodingOfAPatroniValueIsByteIdentical() {
    for (RawNode node : capture.snapshot("## 2.")) {
      ClusterView view = new ClusterViewAssembler(path).assemble(java.util.List.of(node));
      String ours =
          switch (node.path()) {
            case "config" -> ClusterCodec.encode(view.config().orElseThrow());
            case "history" -> ClusterCodec.encode(view.history().orElseThrow());
            case "failover" -> ClusterCodec.encode(view.failover().orElseThrow());
            case "status" ->
                ClusterCodec.encodeStatus(
                    view.status().orElseThrow().optime(), java.util.Map.of(), java.util.List.of());
            case "leader" -> view.leader().orElseThrow().name();
            case "initialize" -> view.initialize().orElseThrow().systemIdentifier();
            default ->
                ClusterCodec.encode(
                    view.member(node.path().substring("members/".length())).orElseThrow());
          };
      assertThat(ours).as(node.path()).isEqualTo(node.value());
    }
  }
}
