package io.pgregent.agent.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.RunState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The console's document from the loop's snapshot: what the page shows for given facts. */
class ConsoleStateTests {

  static Member member(String name, String state, long lsn, int timeline) {
    ObjectNode d = ClusterCodec.nodes().objectNode();
    d.put("conn_url", "postgres://127.0.0.1:5" + name.substring(2) + "/postgres");
    d.put("api_url", "http://127.0.0.1:8" + name.substring(2) + "/patroni");
    d.put("state", state);
    d.put("role", name.equals("pg0") ? "primary" : "replica");
    d.put("xlog_location", lsn);
    d.put("timeline", timeline);
    if (!name.equals("pg0")) {
      d.put("replication_state", "streaming");
      d.put("receive_lsn", lsn);
      d.put("replay_lsn", lsn);
    }
    return Member.of(name, d);
  }

  static ClusterView view(boolean pause, Optional<Failover> failover, String syncMode) {
    ObjectNode config = ClusterCodec.nodes().objectNode();
    config.put("ttl", 10);
    config.put("loop_wait", 2);
    config.put("retry_timeout", 3);
    config.put("pause", pause);
    config.put("synchronous_mode", syncMode);
    TreeMap<String, Member> members = new TreeMap<>();
    members.put("pg0", member("pg0", "running", 0x3000060L, 2));
    members.put("pg1", member("pg1", "running", 0x3000000L, 2));
    members.put("pg2", member("pg2", "running", 0x2000000L, 2));
    return new ClusterView(
        Optional.empty(),
        Optional.of(new ClusterConfig(config, 1)),
        Optional.of(new Leader("pg0", 1)),
        members,
        Optional.of(Status.ofOptime(0x3000060L)),
        Optional.of(
            new TimelineHistory(
                List.of(
                    new TimelineHistory.Entry(
                        1,
                        0x3000000L,
                        "no recovery target specified",
                        "2026-12-04T10:00:00Z",
                        "pg0")),
                1)),
        failover,
        syncMode.equals("off")
            ? Optional.empty()
            : Optional.of(new SyncState("pg0", List.of("pg1"), null, 1)),
        Optional.empty(),
        List.of());
  }

  static AgentSnapshot snapshot(Optional<ClusterView> view, boolean holdsLock) {
    LocalPostgresState pg =
        new LocalPostgresState(
            RunState.STOPPED, PostgresRole.PRIMARY, 0, true, Optional.empty(), Optional.empty());
    return new AgentSnapshot(pg, view, holdsLock, "running", 1795306605L, false, "no action", 0L);
  }

  static ObjectNode render(Optional<ClusterView> view, Map<String, JsonNode> decisions) {
    return ConsoleState.render(
        new ConsoleState.Inputs(
            "pg0",
            "demo",
            Optional.of(snapshot(view, true)),
            Optional.of(Duration.ofMillis(7400)),
            Optional.empty(),
            decisions,
            Map.of("pg1", 1250L)));
  }

  @Test
  void membersLockHistoryAndConfigurationComeFromTheSnapshot() {
    ObjectNode doc = render(Optional.of(view(false, Optional.empty(), "off")), Map.of());
    assertThat(doc.path("store").path("reachable").asBoolean()).isTrue();
    assertThat(doc.path("leader").path("name").asText()).isEqualTo("pg0");
    assertThat(doc.path("leader").path("ttl").asInt()).isEqualTo(10);
    assertThat(doc.path("leader").path("lease_remaining_ms").asLong()).isEqualTo(7400);
    JsonNode members = doc.path("members");
    assertThat(members.findValuesAsText("name")).containsExactly("pg0", "pg1", "pg2");
    assertThat(members.get(0).path("role").asText()).isEqualTo("leader");
    assertThat(members.get(0).path("lsn").asText()).isEqualTo("0/3000060");
    assertThat(members.get(1).path("role").asText()).isEqualTo("replica");
    assertThat(members.get(1).path("state").asText()).isEqualTo("streaming");
    assertThat(members.get(1).path("replay_lag").asLong()).isEqualTo(0x60);
    // the leader's replay_lag, in seconds, where it measured one
    assertThat(members.get(1).path("replay_lag_seconds").asDouble()).isEqualTo(1.25);
    assertThat(members.get(2).has("replay_lag_seconds")).isFalse();
    assertThat(members.get(2).path("receive_lag").asLong()).isEqualTo(0x1000060);
    assertThat(doc.path("history").get(0).path("new_leader").asText()).isEqualTo("pg0");
    assertThat(doc.path("history").get(0).path("lsn").asText()).isEqualTo("0/3000000");
    assertThat(doc.path("pause").asBoolean()).isFalse();
    assertThat(doc.has("failover")).isFalse();
    assertThat(doc.has("sync")).isFalse();
    assertThat(doc.path("config").path("loop_wait").asInt()).isEqualTo(2);
    assertThat(doc.path("member").path("holds_lock").asBoolean()).isTrue();
  }

  @Test
  void pauseAPendingSwitchoverAndSyncStandbysAreShown() {
    ObjectNode doc =
        render(
            Optional.of(view(true, Optional.of(new Failover("pg0", "pg1", null, 1)), "on")),
            Map.of());
    assertThat(doc.path("pause").asBoolean()).isTrue();
    assertThat(doc.path("failover").path("leader").asText()).isEqualTo("pg0");
    assertThat(doc.path("failover").path("candidate").asText()).isEqualTo("pg1");
    assertThat(doc.path("sync").path("mode").asText()).isEqualTo("on");
    assertThat(doc.path("sync").path("standbys").get(0).asText()).isEqualTo("pg1");
    assertThat(doc.path("members").get(1).path("role").asText()).isEqualTo("sync_standby");
  }

  @Test
  void aMemberThatDoesNotAnswerIsMarkedAndItsDecisionsAreLeftOut() {
    Map<String, JsonNode> decisions = new HashMap<>();
    decisions.put("pg0", ClusterCodec.nodes().arrayNode().add(line("no action")));
    decisions.put("pg1", null);
    ObjectNode doc = render(Optional.of(view(false, Optional.empty(), "off")), decisions);
    JsonNode members = doc.path("members");
    assertThat(members.get(0).path("reachable").asBoolean()).isTrue();
    assertThat(members.get(0).path("decisions").get(0).path("message").asText())
        .isEqualTo("no action");
    assertThat(members.get(1).path("reachable").asBoolean()).isFalse();
    assertThat(members.get(1).has("decisions")).isFalse();
    // not asked: nothing claimed
    assertThat(members.get(2).has("reachable")).isFalse();
  }

  @Test
  void anUnreachableStoreSaysSoAndClaimsNoMembers() {
    ObjectNode doc = render(Optional.empty(), Map.of());
    assertThat(doc.path("store").path("reachable").asBoolean()).isFalse();
    assertThat(doc.has("members")).isFalse();
    assertThat(doc.has("leader")).isFalse();
    assertThat(doc.path("member").path("state").asText()).isEqualTo("running");
  }

  @Test
  void theLeaseIsShownOnlyByItsHolder() {
    ObjectNode doc =
        ConsoleState.render(
            new ConsoleState.Inputs(
                "pg1",
                "demo",
                Optional.of(snapshot(Optional.of(view(false, Optional.empty(), "off")), false)),
                Optional.of(Duration.ofSeconds(3)),
                Optional.empty(),
                Map.of()));
    assertThat(doc.path("leader").path("name").asText()).isEqualTo("pg0");
    assertThat(doc.path("leader").has("lease_remaining_ms")).isFalse();
  }

  @Test
  void aRepeatedLogLineCountsUpInsteadOfPushingOthersOut() {
    DecisionLog log = new DecisionLog();
    log.record(1000, "INFO", "no action. I am (pg0), the leader with the lock");
    log.record(2000, "INFO", "no action. I am (pg0), the leader with the lock");
    log.record(3000, "WARN", "store read failed: timeout");
    log.record(4000, "INFO", "no action. I am (pg0), the leader with the lock");
    List<DecisionLog.Entry> entries = log.entries();
    assertThat(entries).hasSize(3);
    assertThat(entries.get(0).count()).isEqualTo(2);
    assertThat(entries.get(0).firstMillis()).isEqualTo(1000);
    assertThat(entries.get(0).lastMillis()).isEqualTo(2000);
    assertThat(entries.get(1).level()).isEqualTo("WARN");
    for (int i = 0; i < DecisionLog.CAPACITY + 10; i++) {
      log.record(5000 + i, "INFO", "line " + i);
    }
    assertThat(log.entries()).hasSize(DecisionLog.CAPACITY);
    assertThat(log.entries().get(DecisionLog.CAPACITY - 1).message())
        .isEqualTo("line " + (DecisionLog.CAPACITY + 9));
  }

  @Test
  void theLoopsOwnLogLinesAreCaptured() {
    DecisionLog log = new DecisionLog();
    org.slf4j.LoggerFactory.getLogger("io.pgregent.agent.loop.HaLoop")
        .info("no action. I am ({}), the leader with the lock", "pg7");
    org.slf4j.LoggerFactory.getLogger("io.pgregent.agent.rest.HealthRules").info("not a decision");
    assertThat(log.entries())
        .extracting(DecisionLog.Entry::message)
        .contains("no action. I am (pg7), the leader with the lock")
        .doesNotContain("not a decision");
  }

  @Test
  void aClosedLogStopsCapturing() {
    DecisionLog log = new DecisionLog();
    log.close();
    org.slf4j.LoggerFactory.getLogger("io.pgregent.agent.loop.HaLoop").info("after close");
    assertThat(log.entries()).isEmpty();
  }

  static ObjectNode line(String message) {
    ObjectNode l = ClusterCodec.nodes().objectNode();
    l.put("message", message);
    return l;
  }
}
