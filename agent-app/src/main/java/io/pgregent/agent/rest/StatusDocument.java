package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.RegentVersion;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.postgres.status.ReplicationRow;
import io.pgregent.postgres.status.ServerStatus;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.OptionalInt;

/** Patroni's member status document ({@code GET /patroni}), rendered from the loop's snapshot. */
public final class StatusDocument {

  private static final DateTimeFormatter START_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx");

  private StatusDocument() {}

  public static ObjectNode render(AgentSnapshot s, AgentConfig config) {
    return render(
        new HealthRules.Facts(s, config.name(), config.tags()), config, OptionalInt.empty());
  }

  static ObjectNode render(HealthRules.Facts facts, AgentConfig config, OptionalInt serverVersion) {
    AgentSnapshot s = facts.snapshot();
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.put("state", s.state());
    s.postgres()
        .postmasterStartTime()
        .ifPresent(
            t -> doc.put("postmaster_start_time", START_TIME.format(t.atOffset(ZoneOffset.UTC))));
    doc.put("role", facts.role());
    serverVersion.ifPresent(v -> doc.put("server_version", v));
    s.postgres().server().ifPresent(server -> renderServer(doc, server));
    if (s.clusterUnlocked()) {
      doc.put("cluster_unlocked", true);
    }
    if (s.failsafeActive()) {
      doc.put("failsafe_mode_is_active", true);
    }
    doc.put("dcs_last_seen", s.dcsLastSeenEpochSeconds());
    s.postgres().systemIdentifier().ifPresent(id -> doc.put("database_system_identifier", id));
    java.util.Map<String, Object> published = config.tags().published();
    if (!published.isEmpty()) {
      ObjectNode tags = doc.putObject("tags");
      published.forEach(tags::putPOJO);
    }
    if (s.postgres().pendingRestart()) {
      doc.put("pending_restart", true);
      ObjectNode reason = doc.putObject("pending_restart_reason");
      s.postgres().pendingRestartParameters().stream().sorted().forEach(reason::putObject);
    }
    if (s.paused()) {
      doc.put("pause", true);
    }
    if (facts.syncStandby()) {
      doc.put("sync_standby", true);
    }
    if (facts.quorumStandby()) {
      doc.put("quorum_standby", true);
    }
    ObjectNode patroni = doc.putObject("patroni");
    patroni.put("version", HaLoop.PATRONI_VERSION);
    patroni.put("scope", config.scope());
    patroni.put("name", config.name());
    doc.put("regent_version", RegentVersion.current());
    return doc;
  }

  private static void renderServer(ObjectNode doc, ServerStatus server) {
    ObjectNode xlog = doc.putObject("xlog");
    if (server.inRecovery()) {
      xlog.put("received_location", Math.max(0, server.receiveLsn()));
      xlog.put("replayed_location", Math.max(0, server.replayLsn()));
      xlog.putNull("replayed_timestamp");
      xlog.put("paused", false);
      doc.put("replication_state", server.streaming() ? "streaming" : "in archive recovery");
    } else {
      xlog.put("location", server.currentLsn());
    }
    doc.put("timeline", server.timeline());
    if (!server.replication().isEmpty()) {
      ArrayNode rows = doc.putArray("replication");
      for (ReplicationRow r : server.replication()) {
        ObjectNode row = rows.addObject();
        row.put("usename", r.usename());
        row.put("application_name", r.applicationName());
        row.put("client_addr", r.clientAddr());
        row.put("state", r.state());
        row.put("sync_state", r.syncState());
        row.put("sync_priority", 0);
      }
    }
  }
}
