package io.pgregent.core.slots;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Which slots each member holds, and the changes that get it there (Patroni 4.1's rules). */
class SlotPolicyTests {

  private static final UnaryOperator<String> NAME = n -> n.replace('-', '_');

  private static Member member(String name, String replicatefrom, boolean nofailover, long lsn) {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.put("xlog_location", lsn);
    ObjectNode tags = doc.putObject("tags");
    if (replicatefrom != null) {
      tags.put("replicatefrom", replicatefrom);
    }
    if (nofailover) {
      tags.put("nofailover", true);
    }
    return Member.of(name, doc);
  }

  private static ClusterView view(String leader, Member... members) {
    Map<String, Member> byName = new TreeMap<>();
    for (Member m : members) {
      byName.put(m.name(), m);
    }
    ClusterView e = ClusterView.empty();
    return new ClusterView(
        e.initialize(),
        e.config(),
        Optional.ofNullable(leader).map(l -> new Leader(l, 1)),
        new TreeMap<>(byName),
        e.status(),
        e.history(),
        e.failover(),
        e.sync(),
        e.failsafe(),
        List.of());
  }

  private static JsonNode json(String text) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static SlotPolicy.Node node(
      ClusterView v,
      String self,
      boolean leader,
      boolean nofailover,
      Map<String, JsonNode> permanent,
      Map<String, Long> published,
      List<String> retain) {
    return new SlotPolicy.Node(
        v, self, leader, nofailover, false, true, 1800, permanent, false, published, retain, NAME);
  }

  /** A plan ignoring no slot, not paused, dropping idle slots that hold an xmin. */
  private static SlotPlan plan(
      Map<String, SlotSpec> desired, List<LocalSlot> existing, boolean primary, long replayLsn) {
    return SlotPolicy.plan(desired, existing, List.of(), primary, false, true, replayLsn);
  }

  /** A node with no published positions or retained slots, nofailover off. */
  private static SlotPolicy.Node node(
      ClusterView v,
      String self,
      boolean leader,
      boolean nostream,
      boolean useSlots,
      int memberSlotsTtl,
      Map<String, JsonNode> permanent,
      boolean standbyCluster) {
    return new SlotPolicy.Node(
        v,
        self,
        leader,
        false,
        nostream,
        useSlots,
        memberSlotsTtl,
        permanent,
        standbyCluster,
        Map.of(),
        List.of(),
        NAME);
  }

  private static void assertKeepsPhysicalButNoLogicalSlots(SlotPolicy.Node n) {
    assertThat(SlotPolicy.desired(n))
        .doesNotContainKey("test_logical")
        .containsKey("test_physical");
  }

  /** The cluster of Patroni's permanent_slots feature: pg-3 streams from pg-2 (nofailover). */
  private final ClusterView cluster =
      view(
          "pg-0",
          member("pg-0", null, false, 900),
          member("pg-1", null, false, 800),
          member("pg-2", null, true, 800),
          member("pg-3", "pg-2", false, 700));

  private final Map<String, JsonNode> permanent =
      new LinkedHashMap<>(
          Map.of(
              "test_physical",
              json("{}"),
              "pg_3",
              json("{}"),
              "test_logical",
              json(
                  "{\"type\":\"logical\",\"database\":\"postgres\",\"plugin\":\"test_decoding\"}")));

  @Test
  void theLeaderHoldsASlotForEveryPeerAndEveryPermanentSlot() {
    Map<String, SlotSpec> d =
        SlotPolicy.desired(
            node(cluster, "pg-0", true, false, permanent, Map.of("pg_3", 500L), List.of()));
    assertThat(d.keySet())
        .containsExactlyInAnyOrder("pg_1", "pg_2", "pg_3", "test_physical", "test_logical");
    // pg-3 streams from pg-2: its slot here is idle and follows what pg-3 reports.
    assertThat(d.get("pg_3").expectedActive()).isFalse();
    assertThat(d.get("pg_3").lsn()).isEqualTo(700);
    assertThat(d.get("pg_1").expectedActive()).isTrue();
    assertThat(d.get("test_logical").logical()).isTrue();
  }

  @Test
  void aReplicaThatMayBePromotedHoldsItsPeersSlotsAndThePermanentOnes() {
    Map<String, SlotSpec> d =
        SlotPolicy.desired(
            node(
                cluster,
                "pg-1",
                false,
                false,
                permanent,
                Map.of("pg_0", 900L, "pg_2", 850L, "test_logical", 600L),
                List.of()));
    assertThat(d.keySet())
        .containsExactlyInAnyOrder("pg_0", "pg_2", "pg_3", "test_physical", "test_logical");
    assertThat(d.get("pg_0").lsn()).isEqualTo(900);
    assertThat(d.get("pg_0").expectedActive()).isFalse();
    assertThat(d.get("test_logical").lsn()).isEqualTo(600);
  }

  @Test
  void aNofailoverMemberHoldsOnlyTheSlotsOfMembersStreamingFromIt() {
    Map<String, SlotSpec> d =
        SlotPolicy.desired(
            node(cluster, "pg-2", false, true, permanent, Map.of(), List.of("pg_9")));
    assertThat(d.keySet()).containsExactly("pg_3");
    assertThat(d.get("pg_3").expectedActive()).isTrue();
  }

  @Test
  void slotsOfAbsentMembersStayWhileTheLeaderRetainsThem() {
    Map<String, SlotSpec> d =
        SlotPolicy.desired(
            node(cluster, "pg-1", false, false, Map.of(), Map.of(), List.of("pg_1", "pg_9")));
    assertThat(d).containsKey("pg_9").doesNotContainKey("pg_1");
  }

  @Test
  void nostreamMembersAndUseSlotsOffGetNoSlots() {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.putObject("tags").put("nostream", true);
    ClusterView v = view("pg-0", member("pg-0", null, false, 1), Member.of("pg-5", doc));
    assertThat(SlotPolicy.desired(node(v, "pg-0", true, false, Map.of(), Map.of(), List.of())))
        .isEmpty();
    SlotPolicy.Node off = node(cluster, "pg-0", true, false, false, 1800, permanent, false);
    assertThat(SlotPolicy.desired(off)).isEmpty();
  }

  @Test
  void aMemberThatDoesNotStreamKeepsNoLogicalSlots() {
    SlotPolicy.Node n = node(cluster, "pg-1", false, true, true, 1800, permanent, false);
    assertKeepsPhysicalButNoLogicalSlots(n);
  }

  @Test
  void aMemberStreamingFromOneThatDoesNotStreamKeepsNoLogicalSlots() {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.putObject("tags").put("nostream", true);
    ClusterView v =
        view(
            "pg-0",
            member("pg-0", null, false, 900),
            Member.of("pg-1", doc),
            member("pg-2", "pg-1", false, 800));
    SlotPolicy.Node n = node(v, "pg-2", false, false, true, 1800, permanent, false);
    assertKeepsPhysicalButNoLogicalSlots(n);
    // The primary keeps its logical slots whatever its tags say.
    SlotPolicy.Node primary = node(v, "pg-2", true, false, true, 1800, permanent, false);
    assertThat(SlotPolicy.desired(primary)).containsKey("test_logical");
  }

  @Test
  void withoutRetentionAReplicaHoldsOnlyItsCascadingPeers() {
    SlotPolicy.Node n = node(cluster, "pg-2", false, false, true, 0, Map.of(), false);
    assertThat(SlotPolicy.desired(n).keySet()).containsExactly("pg_3");
  }

  @Test
  void aStandbyClusterKeepsNoPermanentLogicalSlots() {
    SlotPolicy.Node n = node(cluster, "pg-0", true, false, true, 1800, permanent, true);
    assertKeepsPhysicalButNoLogicalSlots(n);
  }

  @Test
  void unknownSlotsAreDroppedUnlessIgnored() {
    List<LocalSlot> existing =
        List.of(
            LocalSlot.physical("barman", 100),
            LocalSlot.logical("debezium", "app", "pgoutput", 100),
            LocalSlot.logical("stray", "postgres", "test_decoding", 100));
    List<SlotMatcher> ignore =
        List.of(
            new SlotMatcher("barman", null, null, null),
            new SlotMatcher(null, "logical", "app", null));
    SlotPlan p = SlotPolicy.plan(Map.of(), existing, ignore, true, false, true, 0);
    assertThat(p.drop()).extracting(SlotPlan.Drop::name).containsExactly("stray");
    assertThat(SlotPolicy.plan(Map.of(), existing, ignore, true, true, true, 0).drop()).isEmpty();
  }

  @Test
  void aLostManagedSlotIsDroppedAndCreatedAgain() {
    LocalSlot lost = new LocalSlot("pg_1", false, null, null, 100, 0, false, "lost", false, false);
    SlotPlan p = plan(Map.of("pg_1", SlotSpec.physical("pg_1", 0, true)), List.of(lost), true, 0);
    assertThat(p.drop())
        .extracting(SlotPlan.Drop::reason)
        .containsExactly("replication slot with wal_status=lost");
    assertThat(p.createPhysical()).extracting(SlotSpec::name).containsExactly("pg_1");
  }

  @Test
  void idlePhysicalSlotsAdvanceToThePublishedPositionActiveOnesDoNot() {
    Map<String, SlotSpec> d = new LinkedHashMap<>();
    d.put("pg_0", SlotSpec.physical("pg_0", 900, false));
    d.put("pg_1", SlotSpec.physical("pg_1", 900, true));
    d.put("pg_2", SlotSpec.physical("pg_2", 50, false));
    d.put("pg_3", SlotSpec.physical("pg_3", 900, false));
    SlotPlan p =
        plan(
            d,
            List.of(
                LocalSlot.physical("pg_0", 100),
                LocalSlot.physical("pg_1", 100),
                LocalSlot.physical("pg_2", 100)),
            false,
            1000);
    assertThat(p.advancePhysical()).extracting(SlotSpec::name).containsExactly("pg_0");
    assertThat(p.createPhysical()).extracting(SlotSpec::name).containsExactly("pg_3");
  }

  @Test
  void anIdleSlotHoldingAnXminIsDroppedSoThatItIsCreatedClean() {
    LocalSlot withXmin =
        new LocalSlot("pg_1", false, null, null, 100, 0, true, "reserved", false, false);
    SlotPlan p =
        plan(Map.of("pg_1", SlotSpec.physical("pg_1", 900, false)), List.of(withXmin), false, 0);
    assertThat(p.drop()).extracting(SlotPlan.Drop::name).containsExactly("pg_1");
    assertThat(
            SlotPolicy.plan(
                    Map.of("pg_1", SlotSpec.physical("pg_1", 900, false)),
                    List.of(withXmin),
                    List.of(),
                    false,
                    false,
                    false,
                    0)
                .drop())
        .isEmpty();
  }

  @Test
  void logicalSlotsAreCreatedOnThePrimaryCopiedToReplicasAndAdvancedUpToReplay() {
    SlotSpec spec = SlotSpec.logical("cdc", "app", "pgoutput", 900);
    assertThat(plan(Map.of("cdc", spec), List.of(), true, 0).createLogical()).containsExactly(spec);
    assertThat(plan(Map.of("cdc", spec), List.of(), false, 0).copyLogical()).containsExactly(spec);
    SlotPlan advance =
        plan(
            Map.of("cdc", spec),
            List.of(LocalSlot.logical("cdc", "app", "pgoutput", 100)),
            false,
            700);
    assertThat(advance.advanceLogical()).extracting(SlotSpec::lsn).containsExactly(700L);
    // Not known to the leader yet: nothing to copy.
    assertThat(
            plan(Map.of("cdc", SlotSpec.logical("cdc", "app", "pgoutput", 0)), List.of(), false, 0)
                .isEmpty())
        .isTrue();
  }

  @Test
  void aLogicalSlotWithAnotherPluginIsReplaced() {
    SlotSpec spec = SlotSpec.logical("cdc", "app", "pgoutput", 900);
    SlotPlan p =
        plan(
            Map.of("cdc", spec),
            List.of(LocalSlot.logical("cdc", "app", "test_decoding", 100)),
            true,
            0);
    assertThat(p.drop()).extracting(SlotPlan.Drop::name).containsExactly("cdc");
    assertThat(p.createLogical()).containsExactly(spec);
  }

  @Test
  void failoverSlotsOfPostgres17AreLeftToTheServer() {
    LocalSlot synced =
        new LocalSlot("cdc", true, "app", "pgoutput", 1, 1, false, "reserved", false, true);
    LocalSlot user =
        new LocalSlot("user", true, "app", "pgoutput", 1, 1, false, "reserved", false, true);
    SlotPlan p =
        plan(
            Map.of("cdc", SlotSpec.logical("cdc", "app", "pgoutput", 900)),
            List.of(synced, user),
            false,
            900);
    assertThat(p.isEmpty()).isTrue();
  }

  @Test
  void ignoreMatchersCompareOnlyTheAttributesTheySet() {
    LocalSlot s = LocalSlot.logical("u", "postgres", "test_decoding", 1);
    assertThat(new SlotMatcher("u", "logical", "postgres", "test_decoding").matches(s)).isTrue();
    assertThat(new SlotMatcher("u", null, "postgres", null).matches(s)).isTrue();
    assertThat(new SlotMatcher("u", "physical", null, null).matches(s)).isFalse();
    assertThat(new SlotMatcher(null, null, "other", null).matches(s)).isFalse();
    assertThat(SlotMatcher.of(json("{\"name\":\"u\",\"plugin\":\"test_decoding\"}")).matches(s))
        .isTrue();
  }

  @Test
  void retainedSlotsExpireAfterMemberSlotsTtl() {
    long second = 1_000_000_000L;
    Map<String, Long> seen =
        SlotPolicy.retain(
            Map.of("pg_9", 0L),
            Set.of("pg_0", "pg_1", "pg_3", "test_physical"),
            cluster,
            "pg-0",
            Set.of("pg_3", "test_physical"),
            NAME,
            60,
            30 * second);
    // Members' slots, the leader's own, but not the permanent ones.
    assertThat(seen.keySet()).containsExactly("pg_0", "pg_1", "pg_9");
    Map<String, Long> later =
        SlotPolicy.retain(seen, Set.of(), cluster, "pg-0", Set.of(), NAME, 60, 60 * second);
    assertThat(later.keySet()).containsExactly("pg_0", "pg_1");
  }

  @Test
  void theLeaderPublishesItsManagedSlotsAndItsOwnPosition() {
    Map<String, Long> p =
        SlotPolicy.published(
            Map.of(
                "pg_1",
                SlotSpec.physical("pg_1", 0, true),
                "cdc",
                SlotSpec.logical("cdc", "app", "pgoutput", 0)),
            List.of(
                LocalSlot.physical("pg_1", 300),
                LocalSlot.logical("cdc", "app", "pgoutput", 200),
                LocalSlot.physical("barman", 100)),
            "pg_0",
            900);
    assertThat(p)
        .containsExactlyInAnyOrderEntriesOf(Map.of("pg_1", 300L, "cdc", 200L, "pg_0", 900L));
  }
}
