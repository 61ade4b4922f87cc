package io.pgregent.agent.rest;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.postgres.status.ServerStatus;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Patroni's {@code GET /metrics} (Prometheus text format): the same names, help texts, types and
 * {@code scope}/{@code name} labels, so Patroni dashboards and alerts keep working. Rendered from
 * the loop's snapshot.
 */
final class PatroniMetrics {

  /** Patroni's {@code PostgresqlState} order: the value of {@code patroni_postgres_state}. */
  static final List<String> STATES =
      List.of(
          "initializing new cluster",
          "initdb failed",
          "running custom bootstrap script",
          "custom bootstrap failed",
          "creating replica",
          "running",
          "starting",
          "starting after custom bootstrap",
          "start failed",
          "restarting",
          "restart failed",
          "stopping",
          "stopped",
          "stop failed",
          "crashed");

  private PatroniMetrics() {}

  static String render(
      Optional<AgentSnapshot> snapshot, AgentConfig config, OptionalInt serverVersion) {
    String labels =
        "{scope=\"" + escape(config.scope()) + "\",name=\"" + escape(config.name()) + "\"}";
    StringBuilder out = new StringBuilder(4096);
    Metric m = new Metric(out, labels);
    m.add("patroni_version", "Patroni semver without periods.", "gauge", versionNumber());
    if (snapshot.isEmpty()) {
      m.add(
          "patroni_postgres_running",
          "Value is 1 if Postgres is running, 0 otherwise.",
          "gauge",
          "0");
      return out.toString();
    }
    AgentSnapshot s = snapshot.get();
    HealthRules.Facts f = new HealthRules.Facts(s, config.name(), config.tags());
    String role = f.role();
    Optional<ServerStatus> server = s.postgres().server();
    boolean running = f.running();
    m.add(
        "patroni_postgres_running",
        "Value is 1 if Postgres is running, 0 otherwise.",
        "gauge",
        bit(running));
    m.add(
        "patroni_postmaster_start_time",
        "Epoch seconds since Postgres started.",
        "gauge",
        s.postgres()
            .postmasterStartTime()
            .map(t -> String.format("%d.%06d", t.getEpochSecond(), t.getNano() / 1000))
            .orElse("0"));
    m.add(
        "patroni_primary",
        "Value is 1 if this node is the leader, 0 otherwise.",
        "gauge",
        bit(role.equals("primary")));
    m.add(
        "patroni_xlog_location",
        "Current location of the Postgres transaction log, 0 if this node is not the leader.",
        "counter",
        String.valueOf(
            server.filter(x -> !x.inRecovery()).map(ServerStatus::currentLsn).orElse(0L)));
    m.add(
        "patroni_standby_leader",
        "Value is 1 if this node is the standby_leader, 0 otherwise.",
        "gauge",
        bit(role.equals("standby_leader")));
    m.add(
        "patroni_replica",
        "Value is 1 if this node is a replica, 0 otherwise.",
        "gauge",
        bit(role.equals("replica")));
    m.add(
        "patroni_sync_standby",
        "Value is 1 if this node is a sync standby replica, 0 otherwise.",
        "gauge",
        bit(f.syncStandby()));
    m.add(
        "patroni_quorum_standby",
        "Value is 1 if this node is a quorum standby replica, 0 otherwise.",
        "gauge",
        bit(f.quorumStandby()));
    m.add(
        "patroni_xlog_received_location",
        "Current location of the received Postgres transaction log, 0 if this node is not a"
            + " replica.",
        "counter",
        String.valueOf(f.receivedLocation()));
    m.add(
        "patroni_xlog_replayed_location",
        "Current location of the replayed Postgres transaction log, 0 if this node is not a"
            + " replica.",
        "counter",
        String.valueOf(f.replayedLocation()));
    m.add(
        "patroni_xlog_replayed_timestamp",
        "Current timestamp of the replayed Postgres transaction log, 0 if null.",
        "gauge",
        "0");
    m.add(
        "patroni_xlog_paused",
        "Value is 1 if the Postgres xlog is paused, 0 otherwise.",
        "gauge",
        "0");
    boolean replica = server.map(ServerStatus::inRecovery).orElse(false);
    m.add(
        "patroni_postgres_streaming",
        "Value is 1 if Postgres is streaming, 0 otherwise.",
        "gauge",
        bit(replica && f.streaming()));
    m.add(
        "patroni_postgres_in_archive_recovery",
        "Value is 1 if Postgres is replicating from archive, 0 otherwise.",
        "gauge",
        bit(replica && !f.streaming()));
    m.add(
        "patroni_postgres_server_version",
        "Version of Postgres (if running), 0 otherwise.",
        "gauge",
        String.valueOf(running ? serverVersion.orElse(0) : 0));
    m.add(
        "patroni_cluster_unlocked",
        "Value is 1 if the cluster is unlocked, 0 if locked.",
        "gauge",
        bit(s.clusterUnlocked()));
    m.add(
        "patroni_failsafe_mode_is_active",
        "Value is 1 if failsafe mode is active, 0 if inactive.",
        "gauge",
        bit(s.failsafeActive()));
    m.add(
        "patroni_postgres_timeline",
        "Postgres timeline of this node (if running), 0 otherwise.",
        "gauge",
        String.valueOf(server.map(ServerStatus::timeline).orElse(0)));
    m.add(
        "patroni_dcs_last_seen",
        "Epoch timestamp when DCS was last contacted successfully by Patroni.",
        "gauge",
        String.valueOf(s.dcsLastSeenEpochSeconds()));
    m.add(
        "patroni_pending_restart",
        "Value is 1 if the node needs a restart, 0 otherwise.",
        "gauge",
        bit(s.postgres().pendingRestart()));
    m.add(
        "patroni_is_paused",
        "Value is 1 if auto failover is disabled, 0 otherwise.",
        "gauge",
        bit(s.paused()));
    int state = STATES.indexOf(s.state());
    m.add(
        "patroni_postgres_state",
        "Numeric representation of Postgres state.",
        "gauge",
        String.valueOf(state < 0 ? STATES.indexOf("stopped") : state));
    return out.toString();
  }

  /** {@code 4.1.4} → {@code 040104}, as Patroni prints it. */
  static String versionNumber() {
    StringBuilder b = new StringBuilder();
    for (String part : HaLoop.PATRONI_VERSION.split("\\.")) {
      b.append(String.format("%02d", Integer.parseInt(part.replaceAll("\\D.*", ""))));
    }
    return b.toString();
  }

  private static String bit(boolean b) {
    return b ? "1" : "0";
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private record Metric(StringBuilder out, String labels) {
    void add(String name, String help, String type, String value) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
      out.append(name).append(labels).append(' ').append(value).append('\n');
    }
  }
}
