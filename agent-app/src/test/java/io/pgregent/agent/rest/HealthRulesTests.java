package io.pgregent.agent.rest;

import static io.pgregent.agent.rest.Snapshots.ME;
import static io.pgregent.agent.rest.Snapshots.config;
import static io.pgregent.agent.rest.Snapshots.primaryServer;
import static io.pgregent.agent.rest.Snapshots.replicaServer;
import static io.pgregent.agent.rest.Snapshots.running;
import static io.pgregent.agent.rest.Snapshots.snapshot;
import static io.pgregent.agent.rest.Snapshots.view;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.rest.HealthRules.Check;
import io.pgregent.agent.rest.HealthRules.Facts;
import io.pgregent.postgres.PostgresRole;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Patroni's health-check rules per role: which checks answer 200 (the rest answer 503), as {@code
 * patroni/api.py} decides.
 */
class HealthRulesTests {

  private static final long OPTIME = 100_000_000L;

  private static Set<Check> passing(AgentSnapshot s, Tags tags, Map<String, String> query) {
    Facts f = new Facts(s, ME, tags);
    return EnumSet.allOf(Check.class).stream()
        .filter(c -> HealthRules.passes(c, f, query))
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Check.class)));
  }

  private static Set<Check> passing(AgentSnapshot s) {
    return passing(s, Tags.none(), Map.of());
  }

  private static AgentSnapshot leader() {
    return snapshot(
        running(primaryServer(OPTIME)),
        Optional.of(view(ME, OPTIME, config(), List.of())),
        true,
        false);
  }

  private static AgentSnapshot replica(long received, long replayed) {
    return snapshot(
        running(replicaServer(received, replayed)),
        Optional.of(view("pg0", OPTIME, config(), List.of())),
        false,
        false);
  }

  /** A streaming replica of pg0 under the dynamic {@code config}, {@code sync} in the sync key. */
  private static AgentSnapshot replica(ObjectNode config, List<String> sync) {
    return snapshot(
        running(replicaServer(OPTIME, OPTIME)),
        Optional.of(view("pg0", OPTIME, config, sync)),
        false,
        false);
  }

  /** A replica of pg0 whose PostgreSQL is stopped. */
  private static AgentSnapshot stoppedReplica() {
    return snapshot(
        Snapshots.stopped(PostgresRole.REPLICA),
        Optional.of(view("pg0", OPTIME, config(), List.of())),
        false,
        false);
  }

  @Test
  void leaderPassesPrimaryLeaderReadOnlyHealthAndReadOnlySync() {
    assertThat(passing(leader()))
        .containsExactlyInAnyOrder(
            Check.STATUS,
            Check.PRIMARY,
            Check.LEADER,
            Check.READ_ONLY,
            Check.READ_ONLY_SYNC,
            Check.READ_ONLY_QUORUM,
            Check.HEALTH);
  }

  @Test
  void streamingReplicaPassesReplicaReadOnlyAsyncHealth() {
    assertThat(passing(replica(OPTIME, OPTIME)))
        .containsExactlyInAnyOrder(
            Check.STATUS, Check.REPLICA, Check.READ_ONLY, Check.ASYNC, Check.HEALTH);
  }

  @Test
  void lagFilterInBytesAndUnits() {
    AgentSnapshot lagging = replica(OPTIME - 20_000, OPTIME - 20_000);
    assertThat(passing(lagging, Tags.none(), Map.of("lag", "10000"))).doesNotContain(Check.REPLICA);
    assertThat(passing(lagging, Tags.none(), Map.of("lag", "10kB")))
        .doesNotContain(Check.REPLICA, Check.READ_ONLY, Check.ASYNC);
    assertThat(passing(lagging, Tags.none(), Map.of("lag", "20kB"))).contains(Check.REPLICA);
    assertThat(passing(lagging, Tags.none(), Map.of("lag", "1MB"))).contains(Check.REPLICA);
    // an unreadable value is ignored, as Patroni does
    assertThat(passing(lagging, Tags.none(), Map.of("lag", "lots"))).contains(Check.REPLICA);
    // the lag counts from the store's status optime even when the replica received nothing newer
    AgentSnapshot behindStatus = replica(OPTIME - 5_000_000, OPTIME - 5_000_000);
    assertThat(passing(behindStatus, Tags.none(), Map.of("lag", "1MB")))
        .doesNotContain(Check.REPLICA);
    // no lag filter: a lagging replica still passes
    assertThat(passing(behindStatus)).contains(Check.REPLICA);
  }

  @Test
  void parseBytesFollowsPatroniUnits() {
    assertThat(HealthRules.parseBytes("16kB")).hasValue(16384);
    assertThat(HealthRules.parseBytes("64MB")).hasValue(64L << 20);
    assertThat(HealthRules.parseBytes("1GB")).hasValue(1L << 30);
    assertThat(HealthRules.parseBytes(" 42 ")).hasValue(42);
    assertThat(HealthRules.parseBytes("42kb")).isEqualTo(OptionalLong.empty());
    assertThat(HealthRules.parseBytes("99999999999999999999")).isEmpty();
    assertThat(HealthRules.parseBytes("9999999999TB")).isEmpty();
  }

  @Test
  void noloadbalanceReplicaFailsReplicaButStaysHealthy() {
    Tags tags = Snapshots.tags(false, true, Map.of("noloadbalance", true));
    assertThat(passing(replica(OPTIME, OPTIME), tags, Map.of()))
        .containsExactlyInAnyOrder(Check.STATUS, Check.HEALTH);
  }

  @Test
  void nofailoverReplicaStillServesReads() {
    Tags tags = Snapshots.tags(true, false, Map.of("nofailover", true));
    assertThat(passing(replica(OPTIME, OPTIME), tags, Map.of()))
        .contains(Check.REPLICA, Check.READ_ONLY)
        .doesNotContain(Check.PRIMARY, Check.LEADER);
  }

  @Test
  void tagFiltersMustAllMatch() {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("zone", "eu-1");
    all.put("nofailover", true);
    Tags tags = Snapshots.tags(true, false, all);
    AgentSnapshot r = replica(OPTIME, OPTIME);
    assertThat(passing(r, tags, Map.of("tag_zone", "eu-1"))).contains(Check.REPLICA);
    assertThat(passing(r, tags, Map.of("tag_zone", "EU-1", "tag_nofailover", "True")))
        .contains(Check.REPLICA);
    assertThat(passing(r, tags, Map.of("tag_zone", "us-1"))).doesNotContain(Check.REPLICA);
    assertThat(passing(r, tags, Map.of("tag_rack", "r1"))).doesNotContain(Check.REPLICA);
    // ignored by the primary check
    assertThat(passing(leader(), tags, Map.of("tag_zone", "us-1"))).contains(Check.PRIMARY);
  }

  @Test
  void stoppedPostgresPassesNothingButStatus() {
    AgentSnapshot replicaDown = stoppedReplica();
    assertThat(passing(replicaDown)).containsExactly(Check.STATUS);
    // the lock holder whose PostgreSQL is down is still the leader, not a writable primary
    AgentSnapshot leaderDown =
        snapshot(
            Snapshots.stopped(PostgresRole.PRIMARY),
            Optional.of(view(ME, OPTIME, config(), List.of())),
            true,
            false);
    assertThat(passing(leaderDown)).contains(Check.LEADER).doesNotContain(Check.HEALTH);
  }

  @Test
  void pausedWithoutStoreTheLocalRoleDecides() {
    AgentSnapshot primaryNoStore =
        snapshot(running(primaryServer(OPTIME)), Optional.empty(), false, true);
    assertThat(passing(primaryNoStore)).contains(Check.PRIMARY, Check.LEADER);
    AgentSnapshot notPausedNoStore =
        snapshot(running(primaryServer(OPTIME)), Optional.empty(), false, false);
    assertThat(passing(notPausedNoStore)).doesNotContain(Check.PRIMARY);
    // in pause with the store answering, the lock decides as usual
    AgentSnapshot pausedReplica =
        snapshot(
            running(replicaServer(OPTIME, OPTIME)),
            Optional.of(view("pg0", OPTIME, config(), List.of())),
            false,
            true);
    assertThat(passing(pausedReplica)).contains(Check.REPLICA).doesNotContain(Check.PRIMARY);
  }

  @Test
  void synchronousAndQuorumStandbys() {
    ObjectNode sync = config().put("synchronous_mode", true);
    AgentSnapshot syncReplica = replica(sync, List.of(ME));
    assertThat(passing(syncReplica))
        .contains(Check.SYNC, Check.READ_ONLY_SYNC, Check.REPLICA)
        .doesNotContain(Check.ASYNC, Check.QUORUM, Check.READ_ONLY_QUORUM);
    ObjectNode quorum = config().put("synchronous_mode", "quorum");
    AgentSnapshot quorumReplica = replica(quorum, List.of(ME));
    assertThat(passing(quorumReplica))
        .contains(Check.QUORUM, Check.READ_ONLY_QUORUM)
        .doesNotContain(Check.SYNC, Check.ASYNC);
    // without the store, /sync and /async answer 503
    AgentSnapshot noStore =
        snapshot(running(replicaServer(OPTIME, OPTIME)), Optional.empty(), false, false);
    assertThat(passing(noStore)).contains(Check.REPLICA).doesNotContain(Check.SYNC, Check.ASYNC);
  }

  @Test
  void synchronousModeCountsInEveryFormPatroniWritesIt() {
    for (JsonNode on :
        List.of(
            TextNode.valueOf("on"),
            TextNode.valueOf("yes"),
            TextNode.valueOf("True"),
            TextNode.valueOf("1"),
            IntNode.valueOf(1))) {
      ObjectNode sync = config();
      sync.set("synchronous_mode", on);
      AgentSnapshot syncReplica = replica(sync, List.of(ME));
      assertThat(passing(syncReplica))
          .as(on.toString())
          .contains(Check.SYNC)
          .doesNotContain(Check.ASYNC);
    }
    ObjectNode off = config().put("synchronous_mode", "off");
    AgentSnapshot asyncReplica = replica(off, List.of(ME));
    assertThat(passing(asyncReplica)).doesNotContain(Check.SYNC);
  }

  @Test
  void standbyLeaderInAStandbyCluster() {
    ObjectNode standby = config();
    standby.putObject("standby_cluster").put("host", "10.0.0.1");
    AgentSnapshot s =
        snapshot(
            running(replicaServer(OPTIME, OPTIME)),
            Optional.of(view(ME, OPTIME, standby, List.of())),
            true,
            false);
    assertThat(passing(s))
        .contains(Check.STANDBY_LEADER, Check.LEADER, Check.READ_ONLY)
        .doesNotContain(Check.PRIMARY, Check.REPLICA);
  }

  @Test
  void livenessWithinTtlAsLeaderAndTwiceTtlAsReplica() {
    long second = 1_000_000_000L;
    AgentSnapshot l = leader();
    assertThat(HealthRules.live(Optional.of(l), 10, 10 * second)).isTrue();
    assertThat(HealthRules.live(Optional.of(l), 10, 11 * second)).isFalse();
    AgentSnapshot r = replica(OPTIME, OPTIME);
    assertThat(HealthRules.live(Optional.of(r), 10, 19 * second)).isTrue();
    assertThat(HealthRules.live(Optional.of(r), 10, 21 * second)).isFalse();
    AgentSnapshot paused = snapshot(running(primaryServer(OPTIME)), Optional.empty(), true, true);
    assertThat(HealthRules.live(Optional.of(paused), 10, 1000 * second)).isTrue();
  }

  @Test
  void readinessLeaderOrStreamingReplicaWithinLag() {
    AgentSnapshot l = leader();
    assertThat(HealthRules.ready(Optional.of(l), new Facts(l, ME, Tags.none()), Map.of())).isTrue();
    AgentSnapshot r = replica(OPTIME, OPTIME - 2_000_000);
    Facts f = new Facts(r, ME, Tags.none());
    // default lag: maximum_lag_on_failover (1 MB), replayed position
    assertThat(HealthRules.ready(Optional.of(r), f, Map.of())).isFalse();
    assertThat(HealthRules.ready(Optional.of(r), f, Map.of("mode", "write"))).isTrue();
    assertThat(HealthRules.ready(Optional.of(r), f, Map.of("lag", "4MB"))).isTrue();
    AgentSnapshot down = stoppedReplica();
    assertThat(HealthRules.ready(Optional.of(down), new Facts(down, ME, Tags.none()), Map.of()))
        .isFalse();
    assertThat(HealthRules.ready(Optional.empty(), f, Map.of())).isFalse();
  }

  @Test
  void statusDocumentFieldsPerRole() {
    var leaderDoc =
        StatusDocument.render(
            new Facts(leader(), ME, Tags.none()),
            RestTestConfigs.config(ME, Tags.none()),
            java.util.OptionalInt.of(150018));
    assertThat(leaderDoc.get("role").asText()).isEqualTo("primary");
    assertThat(leaderDoc.get("server_version").asInt()).isEqualTo(150018);
    assertThat(leaderDoc.get("xlog").get("location").asLong()).isEqualTo(OPTIME);
    assertThat(leaderDoc.get("patroni").get("name").asText()).isEqualTo(ME);
    assertThat(leaderDoc.get("patroni").get("version").asText()).isEqualTo("4.1.4");
    var replicaDoc =
        StatusDocument.render(
            new Facts(replica(OPTIME, OPTIME - 5), ME, Tags.none()),
            RestTestConfigs.config(ME, Tags.none()),
            java.util.OptionalInt.empty());
    assertThat(replicaDoc.get("role").asText()).isEqualTo("replica");
    assertThat(replicaDoc.get("replication_state").asText()).isEqualTo("streaming");
    assertThat(replicaDoc.get("xlog").fieldNames())
        .toIterable()
        .containsExactly("received_location", "replayed_location", "replayed_timestamp", "paused");
  }
}
