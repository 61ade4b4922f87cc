package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failsafe;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Whom a lock just taken must hear from, cut off from the store before its first topology write.
 */
class FailsafeTopologyTests {

  private final LoopState state = new LoopState();

  @Test
  void aLockJustTakenAsksTheMembersTheKeyNamesAndThoseInItsView() {
    // Listed in an earlier term: stale, and without pg1.
    state.failsafeMembers = Map.of("pg2", "http://pg2:8008/patroni");
    state.failsafeListed = true;

    FailsafeTopology.takeOver(
        Optional.of(
            view(
                Map.of(
                    "pg0", "http://pg0:8008/patroni",
                    "pg1", "http://pg1:8008/patroni",
                    "pg2", "http://pg2:8008/patroni"),
                List.of("pg3"))),
        "pg0",
        state);

    assertThat(state.failsafeListed).isTrue();
    assertThat(state.failsafeMembers.keySet()).containsExactlyInAnyOrder("pg1", "pg2", "pg3");
  }

  @Test
  void withoutAFailsafeKeyNobodyHasPromisedAnything() {
    state.failsafeMembers = Map.of("pg2", "http://pg2:8008/patroni");
    state.failsafeListed = true;

    FailsafeTopology.takeOver(Optional.of(view(null, List.of("pg1"))), "pg0", state);

    assertThat(state.failsafeListed).isFalse();
    assertThat(FailsafeClient.vouched(state.failsafeListed, state.failsafeMembers, m -> true))
        .isFalse();
  }

  @Test
  void aKeyNamingOnlyUsLeavesNobodyWhoCouldTakeOver() {
    FailsafeTopology.takeOver(
        Optional.of(view(Map.of("pg0", "http://pg0:8008/patroni"), List.of())), "pg0", state);

    assertThat(state.failsafeListed).isTrue();
    assertThat(state.failsafeMembers).isEmpty();
  }

  private static ClusterView view(Map<String, String> key, List<String> memberNames) {
    TreeMap<String, Member> members = new TreeMap<>();
    for (String name : memberNames) {
      var data = ClusterCodec.nodes().objectNode();
      data.put("api_url", "http://" + name + ":8008/patroni");
      members.put(name, Member.of(name, data));
    }
    ClusterView e = ClusterView.empty();
    return new ClusterView(
        e.initialize(),
        e.config(),
        e.leader(),
        members,
        e.status(),
        e.history(),
        e.failover(),
        e.sync(),
        Optional.ofNullable(key).map(k -> new Failsafe(k, 0)),
        List.of());
  }
}
