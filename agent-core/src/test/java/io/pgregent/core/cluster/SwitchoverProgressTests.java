package io.pgregent.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.SwitchoverProgress.Outcome;
import io.pgregent.core.cluster.SwitchoverProgress.Result;
import io.pgregent.core.cluster.SwitchoverProgress.Step;
import io.pgregent.core.cluster.SwitchoverProgress.Update;
import io.pgregent.core.dcs.ClusterCodec;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SwitchoverProgressTests {

  /**
   * A view: the lock holder (or null), the failover request, then members as name:role:state:tl.
   */
  static ClusterView view(String holder, Failover request, String... members) {
    TreeMap<String, Member> map = new TreeMap<>();
    for (String m : members) {
      String[] f = m.split(":");
      ObjectNode data = ClusterCodec.nodes().objectNode();
      data.put("role", f[1]);
      data.put("state", f[2]);
      data.put("timeline", Long.parseLong(f[3]));
      map.put(f[0], Member.of(f[0], data));
    }
    return new ClusterView(
        Optional.empty(),
        Optional.empty(),
        Optional.ofNullable(holder).map(h -> new Leader(h, 1)),
        map,
        Optional.empty(),
        Optional.empty(),
        Optional.ofNullable(request),
        Optional.empty(),
        Optional.empty(),
        List.of());
  }

  static final Failover TO_PG2 = new Failover("pg0", "pg2", null, 3);
  static final Failover CLEARED = new Failover(null, null, null, 4);

  /** pg0 leads pg1 and pg2 on timeline 1, no request in the store. */
  static final ClusterView PG0_LEADS_THREE =
      view(
          "pg0",
          null,
          "pg0:primary:running:1",
          "pg1:replica:streaming:1",
          "pg2:replica:streaming:1");

  /** pg0 leads pg1 on timeline 1, no request in the store. */
  static final ClusterView PG0_LEADS_TWO =
      view("pg0", null, "pg0:primary:running:1", "pg1:replica:streaming:1");

  static List<Step> steps(List<Update> updates) {
    return updates.stream().map(Update::step).toList();
  }

  @Test
  void aSwitchoverIsFollowedStepByStepFromTheStore() {
    ClusterView before = PG0_LEADS_THREE;
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, "pg2");
    assertThat(p.observe(before)).isEmpty();
    assertThat(p.pending()).contains(Step.REQUESTED);

    assertThat(
            steps(
                p.observe(
                    view(
                        "pg0",
                        TO_PG2,
                        "pg0:primary:running:1",
                        "pg1:replica:streaming:1",
                        "pg2:replica:streaming:1"))))
        .containsExactly(Step.REQUESTED, Step.CANDIDATE_CHOSEN);
    ClusterView stopping =
        view(
            "pg0",
            TO_PG2,
            "pg0:primary:stopping:1",
            "pg1:replica:streaming:1",
            "pg2:replica:streaming:1");
    assertThat(p.observe(stopping))
        .containsExactly(new Update(Step.LEADER_STOPPING, "pg0 is stopping"));
    assertThat(p.settled(stopping)).isEmpty();
    assertThat(p.timedOut(stopping, 30).message())
        .isEqualTo(
            "Switchover not completed after 30 s: step \"candidate promoting\" is pending: pg0"
                + " still holds the leader lock; the request is still in the store");

    ClusterView locked =
        view(
            "pg2",
            TO_PG2,
            "pg0:primary:stopped:1",
            "pg1:replica:streaming:1",
            "pg2:replica:running:1");
    assertThat(p.observe(locked))
        .containsExactly(
            new Update(Step.CANDIDATE_PROMOTING, "pg2 took the leader lock and promotes"));
    ClusterView promoted =
        view(
            "pg2",
            CLEARED,
            "pg0:replica:stopped:1",
            "pg1:replica:streaming:2",
            "pg2:primary:running:2");
    assertThat(p.observe(promoted))
        .containsExactly(
            new Update(
                Step.NEW_LEADER, "pg2 holds the leader lock and runs as primary on timeline 2"));
    // the old leader has not come back yet: not settled, and the pending step says what it shows
    assertThat(p.settled(promoted)).isEmpty();
    assertThat(p.why(Step.OLD_LEADER_REJOINED, promoted))
        .isEqualTo("pg0's member key shows role replica, state stopped, timeline 1");
    ClusterView rejoined =
        view(
            "pg2",
            CLEARED,
            "pg0:replica:streaming:2",
            "pg1:replica:streaming:2",
            "pg2:primary:running:2");
    assertThat(steps(p.observe(rejoined))).containsExactly(Step.OLD_LEADER_REJOINED);
    assertThat(p.pending()).isEmpty();
    assertThat(p.settled(rejoined))
        .contains(
            new Outcome(
                Result.SUCCESS,
                "pg2",
                null,
                "Switched over to \"pg2\": the store shows it leading on timeline 2"));
  }

  @Test
  void stepsMissedBetweenTwoReadsAreImpliedByTheLaterOnes() {
    ClusterView before = PG0_LEADS_TWO;
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, null);
    ClusterView after = view("pg1", CLEARED, "pg0:replica:streaming:2", "pg1:primary:running:2");
    List<Update> all = p.observe(after);
    assertThat(steps(all)).containsExactly(Step.values());
    assertThat(all.get(1).message()).isEqualTo("pg1 (chosen by pg0)");
    assertThat(p.settled(after)).map(Outcome::result).contains(Result.SUCCESS);
  }

  @Test
  void aLeaderThatClearsTheRequestAndKeepsTheLockFailsTheOperation() {
    ClusterView before = PG0_LEADS_TWO;
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, "pg1");
    p.observe(view("pg0", new Failover("pg0", "pg1", null, 2), "pg0:primary:running:1"));
    ClusterView cleared = view("pg0", CLEARED, "pg0:primary:running:1", "pg1:replica:streaming:1");
    p.observe(cleared);
    Optional<Outcome> o = p.settled(cleared);
    assertThat(o).map(Outcome::result).contains(Result.FAILED);
    assertThat(o.get().pending()).isEqualTo(Step.LEADER_STOPPING);
    assertThat(o.get().message()).startsWith("Switchover failed: pg0 keeps the leader lock");
  }

  @Test
  void aRequestNotYetSeenIsNotAFailure() {
    ClusterView before = PG0_LEADS_TWO;
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, "pg1");
    p.observe(before);
    assertThat(p.settled(before)).isEmpty();
    Outcome o = p.timedOut(before, 5);
    assertThat(o.result()).isEqualTo(Result.INCOMPLETE);
    assertThat(o.message())
        .isEqualTo(
            "Switchover not completed after 5 s: step \"requested\" is pending: the store holds no"
                + " switchover request");
  }

  @Test
  void aFailoverFromAKilledLeaderEndsWhenTheOldLeaderHasNoMemberKey() {
    ClusterView before = PG0_LEADS_TWO;
    SwitchoverProgress p = new SwitchoverProgress("failover", before, "pg1");
    ClusterView after = view("pg1", CLEARED, "pg1:primary:running:2");
    p.observe(after);
    assertThat(p.pending()).contains(Step.OLD_LEADER_REJOINED);
    Outcome o = p.settled(after).orElseThrow();
    assertThat(o.result()).isEqualTo(Result.SUCCESS);
    assertThat(o.message())
        .isEqualTo(
            "Failed over to \"pg1\": the store shows it leading on timeline 2; pg0 has not"
                + " rejoined: it has no member key (its agent is not running)");
  }

  @Test
  void anotherMemberThanTheCandidateIsNamedAsSuch() {
    ClusterView before = PG0_LEADS_THREE;
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, "pg2");
    ClusterView after =
        view(
            "pg1",
            CLEARED,
            "pg0:replica:streaming:2",
            "pg1:primary:running:2",
            "pg2:replica:streaming:2");
    p.observe(after);
    assertThat(p.settled(after).orElseThrow().message())
        .startsWith("Switched over to \"pg1\" instead of \"pg2\"");
  }

  @Test
  void aNewLeaderStillOnTheOldTimelineHasNotPromotedYet() {
    ClusterView before = view("pg0", null, "pg0:primary:running:3", "pg1:replica:streaming:3");
    SwitchoverProgress p = new SwitchoverProgress("switchover", before, "pg1");
    ClusterView mid = view("pg1", TO_PG2, "pg0:replica:stopped:3", "pg1:primary:running:3");
    p.observe(mid);
    assertThat(p.pending()).contains(Step.NEW_LEADER);
    assertThat(p.timedOut(mid, 60).message())
        .endsWith(
            "step \"new leader holds the lock\" is pending: pg1 holds the leader lock; its member"
                + " key shows role primary, state running, timeline 3");
  }
}
