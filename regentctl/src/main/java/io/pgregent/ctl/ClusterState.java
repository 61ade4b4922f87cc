package io.pgregent.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Lsn;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.MemberRoles;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster as {@code patronictl list} shows it, computed from one read of the store: roles from
 * the leader and sync keys, states, timelines, and each replica's received and replayed positions
 * with their lag behind {@code status.optime}.
 */
final class ClusterState {

  /**
   * One member's row.
   *
   * @param role {@code leader}, {@code standby_leader}, {@code sync_standby}, {@code
   *     quorum_standby} or {@code replica}
   * @param receiveLag lag in bytes, null when unknown (or for the leader)
   * @param replayLag lag in bytes, null when unknown (or for the leader)
   */
  record Row(
      Member member,
      String host,
      Integer port,
      String role,
      String state,
      Long timeline,
      Long receiveLsn,
      Long receiveLag,
      Long replayLsn,
      Long replayLag,
      boolean pendingRestart,
      String pendingRestartReason,
      String scheduledRestart,
      JsonNode tags) {

    String name() {
      return member.name();
    }

    boolean isLeader() {
      return role.equals("leader") || role.equals("standby_leader");
    }

    /** {@code Leader}, {@code Sync Standby}, … as patronictl titles the role. */
    String roleTitle() {
      StringBuilder b = new StringBuilder();
      for (String w : role.split("_")) {
        if (!b.isEmpty()) {
          b.append(' ');
        }
        b.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1));
      }
      return b.toString();
    }
  }

  final String scope;
  final ClusterView view;
  final List<Row> rows;
  final String leader;
  final boolean paused;
  final Optional<Failover> scheduledSwitchover;

  ClusterState(String scope, ClusterView view) {
    this.scope = scope;
    this.view = view;
    MemberRoles roles = MemberRoles.of(view);
    this.leader = roles.leader();
    this.paused = roles.dynamic().pause();
    long clusterLsn = roles.clusterLsn();
    List<Row> list = new ArrayList<>();
    for (Member m : view.members().values()) {
      String role = roles.role(m);
      String state = roles.state(m, role);
      String host = null;
      Integer port = null;
      Optional<String> conn = m.connUrl();
      if (conn.isPresent()) {
        try {
          URI u = URI.create(conn.get());
          host = u.getHost();
          port = u.getPort() > 0 ? u.getPort() : null;
        } catch (IllegalArgumentException e) {
          // a conn_url we cannot read: no host, as Patroni
        }
      }
      Long receive = null;
      Long replay = null;
      Long receiveLag = null;
      Long replayLag = null;
      if (!m.name().equals(leader)) {
        // Members of Patroni before 4.1 publish only xlog_location: it stands for both.
        Long xlog = m.xlogLocation().orElse(null);
        receive = number(m.data().get("receive_lsn")).orElse(xlog);
        replay = number(m.data().get("replay_lsn")).orElse(xlog);
        receiveLag = receive == null || clusterLsn <= 0 ? null : Math.max(0, clusterLsn - receive);
        replayLag = replay == null || clusterLsn <= 0 ? null : Math.max(0, clusterLsn - replay);
      }
      JsonNode pending = m.data().get("pending_restart");
      JsonNode reason = m.data().get("pending_restart_reason");
      String reasonText = null;
      if (reason != null && reason.isObject() && reason.size() > 0) {
        List<String> parts = new ArrayList<>();
        reason
            .properties()
            .forEach(
                e ->
                    parts.add(
                        e.getKey()
                            + ": "
                            + e.getValue().path("old_value").asText("")
                            + "->"
                            + e.getValue().path("new_value").asText("")));
        reasonText = String.join(", ", parts);
      }
      JsonNode scheduled = m.data().path("scheduled_restart").path("schedule");
      JsonNode tags = m.data().get("tags");
      list.add(
          new Row(
              m,
              host,
              port,
              role,
              state,
              m.timeline().orElse(null),
              receive,
              receiveLag,
              replay,
              replayLag,
              pending != null && pending.asBoolean(false),
              reasonText,
              scheduled.isMissingNode() || scheduled.isNull() ? null : scheduled.asText(),
              tags != null && tags.isObject() && tags.size() > 0 ? tags : null));
    }
    this.rows = List.copyOf(list);
    this.scheduledSwitchover = view.failover().filter(f -> f.scheduledAt() != null);
  }

  private static Optional<Long> number(JsonNode n) {
    return n != null && n.canConvertToLong() ? Optional.of(n.asLong()) : Optional.empty();
  }

  Optional<Row> row(String name) {
    return rows.stream().filter(r -> r.name().equals(name)).findFirst();
  }

  Optional<Member> leaderMember() {
    return view.leaderMember();
  }

  /** The system identifier, or {@code uninitialized} / {@code initializing}. */
  String initialize() {
    return view.initialize()
        .map(i -> i.systemIdentifier().isEmpty() ? "initializing" : i.systemIdentifier())
        .orElse("uninitialized");
  }

  /** {@code host}, or {@code host:port} when any port is not 5432 or hosts repeat. */
  boolean showPorts() {
    boolean odd = rows.stream().anyMatch(r -> r.port() != null && r.port() != 5432);
    long distinct = rows.stream().map(Row::host).distinct().count();
    return odd || distinct < rows.size();
  }

  String hostColumn(Row r) {
    if (r.host() == null) {
      return "";
    }
    return showPorts() && r.port() != null ? r.host() + ":" + r.port() : r.host();
  }

  /** Lag in MB as patronictl rounds it (half to even). */
  static Long megabytes(Long bytes) {
    if (bytes == null) {
      return null;
    }
    return new BigDecimal(bytes)
        .divide(BigDecimal.valueOf(1024L * 1024L), 0, RoundingMode.HALF_EVEN)
        .longValue();
  }

  static String formatLsn(Long lsn) {
    if (lsn == null) {
      return null;
    }
    return Lsn.format(lsn);
  }

  /** The lines patronictl prints under the table: maintenance mode and a scheduled switchover. */
  List<String> serviceInfo() {
    List<String> info = new ArrayList<>();
    if (paused) {
      info.add("Maintenance mode: on");
    }
    scheduledSwitchover.ifPresent(
        f -> {
          StringBuilder b = new StringBuilder("Switchover scheduled at: " + f.scheduledAt());
          if (f.leader() != null) {
            b.append('\n').append(String.format("%24s: %s", "from", f.leader()));
          }
          if (f.candidate() != null) {
            b.append('\n').append(String.format("%24s: %s", "to", f.candidate()));
          }
          info.add(b.toString());
        });
    return info;
  }

  /** The row of one member for json/yaml/tsv, with patronictl's keys. */
  Map<String, Object> record(Row r, boolean extended) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Cluster", scope);
    m.put("Member", r.name());
    m.put("Host", hostColumn(r));
    m.put("Role", r.roleTitle());
    m.put("State", r.state());
    m.put("TL", r.timeline());
    if (!r.isLeader() || r.receiveLsn() != null) {
      m.put("Receive LSN", formatLsn(r.receiveLsn()));
      m.put("Receive Lag", lag(r.receiveLag()));
      m.put("Replay LSN", formatLsn(r.replayLsn()));
      m.put("Replay Lag", lag(r.replayLag()));
    }
    if (extended || rows.stream().anyMatch(Row::pendingRestart)) {
      m.put("Pending restart", r.pendingRestart() ? "*" : null);
    }
    if (extended || rows.stream().anyMatch(x -> x.pendingRestartReason() != null)) {
      m.put("Pending restart reason", r.pendingRestartReason());
    }
    if (extended || rows.stream().anyMatch(x -> x.scheduledRestart() != null)) {
      m.put("Scheduled restart", r.scheduledRestart());
    }
    if (extended || rows.stream().anyMatch(x -> x.tags() != null)) {
      m.put("Tags", r.tags());
    }
    return m;
  }

  private Object lag(Long bytes) {
    return bytes == null ? "unknown" : megabytes(bytes);
  }
}
