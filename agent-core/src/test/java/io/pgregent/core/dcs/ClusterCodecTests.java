package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TimelineHistory;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterCodecTests {

  private static RawNode node(String path, String value) {
    return new RawNode(path, value, 7);
  }

  @Test
  void aLegacyMemberStringCarriesConnAndApiUrl() {
    Member m =
        ClusterCodec.member(
            "pg0",
            node(
                "members/pg0",
                "postgres://127.0.0.1:5432/postgres?application_name="
                    + "http%3A%2F%2F127.0.0.1%3A8008%2Fpatroni"));
    assertThat(m.connUrl()).contains("postgres://127.0.0.1:5432/postgres");
    assertThat(m.apiUrl()).contains("http://127.0.0.1:8008/patroni");
  }

  /** Simulation seed 28540: a repaired switch names its new leader without a time. */
  @Test
  void aHistoryLineKeepsItsNewLeaderWithoutATimestamp() {
    TimelineHistory h =
        new TimelineHistory(
            List.of(
                new TimelineHistory.Entry(6, 100, "r", "2026-12-06T10:00:00Z", "pg0"),
                new TimelineHistory.Entry(7, 200, "r", null, "pg1"),
                new TimelineHistory.Entry(8, 300, "r", null, null)),
            0);
    String encoded = ClusterCodec.encode(h);
    assertThat(encoded)
        .isEqualTo(
            "[[6,100,\"r\",\"2026-12-06T10:00:00Z\",\"pg0\"],[7,200,\"r\",null,\"pg1\"],[8,300,\"r\"]]");
    assertThat(ClusterCodec.history(node("history", encoded)).entries()).isEqualTo(h.entries());
  }

  @Test
  void aLegacyFailoverStringNamesLeaderAndCandidate() {
    Failover f = ClusterCodec.failover(node("failover", "pg0:pg1"));
    assertThat(f.leader()).isEqualTo("pg0");
    assertThat(f.candidate()).isEqualTo("pg1");
    assertThat(ClusterCodec.failover(node("failover", ":pg1")).leader()).isNull();
    assertThat(ClusterCodec.failover(node("failover", "")).isEmpty()).isTrue();
  }

  @Test
  void aScheduledFailoverKeepsItsZone() {
    Failover f =
        ClusterCodec.failover(
            node(
                "failover", "{\"member\":\"pg2\",\"scheduled_at\":\"2026-11-22T10:00:00+01:00\"}"));
    assertThat(f.candidate()).isEqualTo("pg2");
    assertThat(f.scheduledAt()).isEqualTo(OffsetDateTime.parse("2026-11-22T10:00:00+01:00"));
    assertThat(ClusterCodec.encode(f))
        .isEqualTo("{\"member\":\"pg2\",\"scheduled_at\":\"2026-11-22T10:00+01:00\"}");
  }

  @Test
  void syncStateReadsSeveralStandbysAndQuorum() {
    SyncState s =
        ClusterCodec.sync(
            node("sync", "{\"leader\":\"pg0\",\"quorum\":1,\"sync_standby\":\"pg1,pg2\"}"));
    assertThat(s.syncStandbys()).containsExactly("pg1", "pg2");
    assertThat(s.quorum()).isEqualTo(1);
    assertThat(ClusterCodec.encode(s))
        .isEqualTo("{\"leader\":\"pg0\",\"quorum\":1,\"sync_standby\":\"pg1,pg2\"}");
    SyncState none = ClusterCodec.sync(node("sync", "{\"leader\":\"pg0\",\"sync_standby\":null}"));
    assertThat(none.syncStandbys()).isEmpty();
    assertThat(ClusterCodec.encode(none)).isEqualTo("{\"leader\":\"pg0\",\"sync_standby\":null}");
  }

  @Test
  void statusWithSlotsRoundTrips() {
    String json = ClusterCodec.encodeStatus(100, Map.of("pg1", 90L), List.of("pg1"));
    assertThat(json)
        .isEqualTo("{\"optime\":100,\"slots\":{\"pg1\":90},\"retain_slots\":[\"pg1\"]}");
    var status = ClusterCodec.status(node("status", json));
    assertThat(status.optime()).isEqualTo(100);
    assertThat(status.slots()).containsEntry("pg1", 90L);
    assertThat(status.retainSlots()).containsExactly("pg1");
    assertThat(ClusterCodec.status(node("status", "12345")).optime()).isEqualTo(12345);
  }

  @Test
  void historyLinesOfOldAgentsHaveFewerFields() {
    var h = ClusterCodec.history(node("history", "[[1,100,\"no recovery target specified\"]]"));
    assertThat(h.entries().get(0).timestamp()).isNull();
    assertThat(ClusterCodec.encode(h)).isEqualTo("[[1,100,\"no recovery target specified\"]]");
    assertThatThrownBy(() -> ClusterCodec.history(node("history", "[[\"x\"]]")))
        .isInstanceOf(MalformedValueException.class);
  }

  @Test
  void failsafeMapsMembersToApiUrls() {
    var f = ClusterCodec.failsafe(node("failsafe", "{\"pg0\":\"http://a/patroni\"}"));
    assertThat(f.members()).containsEntry("pg0", "http://a/patroni");
    assertThat(ClusterCodec.encode(f)).isEqualTo("{\"pg0\":\"http://a/patroni\"}");
  }

  @Test
  void nonObjectsAreMalformedWhereObjectsAreRequired() {
    assertThatThrownBy(() -> ClusterCodec.config(node("config", "[]")))
        .isInstanceOf(MalformedValueException.class)
        .hasMessageContaining("JSON object");
    assertThatThrownBy(() -> ClusterCodec.member("x", node("members/x", "42")))
        .isInstanceOf(MalformedValueException.class);
    assertThatThrownBy(() -> ClusterCodec.leader(node("leader", "  ")))
        .isInstanceOf(MalformedValueException.class);
    assertThatThrownBy(() -> ClusterCodec.legacyOptime(node("optime/leader", "abc")))
        .isInstanceOf(MalformedValueException.class);
  }
}
