package io.pgregent.core.cluster;

import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.ha.SyncSettings;

/**
 * Each member's role and state as Patroni's cluster listing shows them (the REST API's {@code
 * /cluster} and {@code patronictl list}), and the position their lag counts from.
 */
public final class MemberRoles {

  private final ClusterView view;
  private final DynamicConfig dynamic;
  private final String leader;
  private final long clusterLsn;

  private MemberRoles(ClusterView view) {
    this.view = view;
    this.dynamic = view.config().map(ClusterConfig::settings).orElseGet(DynamicConfig::defaults);
    this.leader = view.leader().map(Leader::name).orElse(null);
    this.clusterLsn =
        view.status()
            .map(Status::optime)
            .filter(o -> o > 0)
            .or(() -> view.leaderMember().flatMap(Member::xlogLocation))
            .orElse(0L);
  }

  public static MemberRoles of(ClusterView view) {
    return new MemberRoles(view);
  }

  /** The dynamic configuration in the store, else the defaults. */
  public DynamicConfig dynamic() {
    return dynamic;
  }

  /** The leader's name, null when no member holds the lock. */
  public String leader() {
    return leader;
  }

  /** The cluster's position: the status key's optime, else the leader's; 0 when unknown. */
  public long clusterLsn() {
    return clusterLsn;
  }

  /**
   * {@code leader}, {@code standby_leader}, {@code sync_standby}, {@code quorum_standby} or {@code
   * replica}.
   */
  public String role(Member m) {
    if (m.name().equals(leader)) {
      return dynamic.isStandbyCluster() ? "standby_leader" : "leader";
    }
    boolean syncOn = dynamic.synchronousMode() != SyncSettings.Mode.OFF;
    if (syncOn && view.sync().map(s -> s.isSyncStandby(m.name())).orElse(false)) {
      return dynamic.isQuorumCommitMode() ? "quorum_standby" : "sync_standby";
    }
    return "replica";
  }

  /** A replica's replication state when it publishes one, else the member's state. */
  public String state(Member m, String role) {
    String state = role.equals("leader") ? "" : m.data().path("replication_state").asText("");
    return state.isEmpty() ? m.state().orElse("") : state;
  }
}
