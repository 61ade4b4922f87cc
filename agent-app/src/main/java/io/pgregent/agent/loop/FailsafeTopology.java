package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failsafe;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * In failsafe mode the leader keeps every member's REST address in the store, and remembers them:
 * cut off from the store, these are the members it must hear from to stay primary.
 */
final class FailsafeTopology {

  private final Dcs dcs;
  private final ConfigInForce config;
  private final LoopState state;

  FailsafeTopology(Dcs dcs, ConfigInForce config, LoopState state) {
    this.dcs = dcs;
    this.config = config;
    this.state = state;
  }

  /**
   * A lock just taken: until our own topology is written, the members to hear from are those the
   * key names (they act on it) and those in the view. What we listed in an earlier term is stale:
   * cut from the store before our first write, we would ask only members of that old topology.
   */
  static void takeOver(Optional<ClusterView> view, String self, LoopState state) {
    Optional<Failsafe> key = view.flatMap(ClusterView::failsafe);
    Map<String, String> members = new TreeMap<>();
    key.ifPresent(f -> members.putAll(f.members()));
    view.ifPresent(v -> putApiUrls(v, members));
    members.remove(self);
    state.failsafeMembers = Map.copyOf(members);
    // No key: nobody has promised to keep out of the race, so nobody can vouch for us yet.
    state.failsafeListed = key.isPresent();
  }

  void publish(ClusterView view) {
    if (!config.dynamic().failsafeMode()) {
      state.failsafeMembers = Map.of();
      state.failsafeListed = false;
      return;
    }
    AgentConfig local = config.local();
    Map<String, String> all = new TreeMap<>();
    putApiUrls(view, all);
    all.put(local.name(), local.restapi().apiUrl());
    Map<String, String> current = view.failsafe().map(f -> f.members()).orElse(Map.of());
    Map<String, String> others = new TreeMap<>(all);
    others.remove(local.name());
    if (!current.equals(all)) {
      // A write whose answer is lost may have landed: until one is known to have, every member
      // either topology names may join the race, so each is asked for its heartbeat.
      Map<String, String> either = new TreeMap<>(state.failsafeMembers);
      either.putAll(others);
      state.failsafeMembers = Map.copyOf(either);
      state.failsafeListed = true;
      dcs.put(ClusterKey.FAILSAFE, ClusterCodec.encode(new Failsafe(all, 0)));
    }
    state.failsafeMembers = Map.copyOf(others);
    state.failsafeListed = true;
  }

  private static void putApiUrls(ClusterView view, Map<String, String> into) {
    view.members().values().forEach(m -> m.apiUrl().ifPresent(u -> into.put(m.name(), u)));
  }
}
