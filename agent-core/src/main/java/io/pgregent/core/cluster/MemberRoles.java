package io.pgregent.core.cluster;

import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.ha.SyncSettings;

/**
 * Each member's role and state as Patroni's cluster listing shows them (the REST API's {@code
 * /cluster} and {@code patronictl list}), and the position their lag counts from.
 *
 * @param view the cluster as read from the store
 * @param dynamic the dynamic configuration in the store, else the defaults
 * @param leader the leader's name, null when no member holds the lock
 * @param clusterLsn the cluster's position: the status key's optime, else the leader's; 0 when
 *     unknown
 */
public record MemberRoles(ClusterView view, DynamicConfig dynamic, String leader, long clusterLsn) {

  public static MemberRoles of(ClusterView view) {
    return new MemberRoles(
        view,
        view.config().map(ClusterConfig::settings).orElseGet(DynamicConfig::defaults),
        view.leader().map(Leader::name).orElse(null),
        view.status()
            .map(Status::optime)
            .filter(o -> o > 0)
            .or(() -> view.leaderMember().flatMap(Member::xlogLocation))
            .orElse(0L));
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
