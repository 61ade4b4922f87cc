package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Lsn;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.MemberRoles;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import java.net.URI;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /cluster}, {@code /history} and {@code /config}: fresh reads of the store. */
@RestController
public class ClusterController {

  private final Dcs dcs;
  private final HaLoop loop;

  public ClusterController(Dcs dcs, HaLoop loop) {
    this.dcs = dcs;
    this.loop = loop;
  }

  @GetMapping(path = "/cluster")
  public ResponseEntity<?> cluster() {
    Optional<ClusterView> view = read();
    if (view.isEmpty()) {
      return Responses.text(HttpStatus.SERVICE_UNAVAILABLE, "DCS is not available");
    }
    return json(HttpStatus.OK, render(view.get(), loop.config().scope()));
  }

  @GetMapping(path = "/history")
  public ResponseEntity<?> history() {
    Optional<ClusterView> view = read();
    if (view.isEmpty()) {
      return Responses.text(HttpStatus.SERVICE_UNAVAILABLE, "DCS is not available");
    }
    ArrayNode lines = ClusterCodec.nodes().arrayNode();
    for (TimelineHistory.Entry e :
        view.get().history().map(TimelineHistory::entries).orElse(java.util.List.of())) {
      ArrayNode line = lines.addArray().add(e.timeline()).add(e.switchLsn()).add(e.reason());
      if (e.timestamp() != null) {
        line.add(e.timestamp());
        if (e.newLeader() != null) {
          line.add(e.newLeader());
        }
      }
    }
    return json(HttpStatus.OK, lines);
  }

  /** The dynamic configuration; 502 when the key is missing, as Patroni 4 answers. */
  @GetMapping(path = "/config")
  public ResponseEntity<?> config() {
    Optional<ClusterView> view = read();
    if (view.isEmpty()) {
      return Responses.text(HttpStatus.SERVICE_UNAVAILABLE, "DCS is not available");
    }
    Optional<ClusterConfig> config = view.get().config();
    if (config.isEmpty()) {
      return Responses.text(HttpStatus.BAD_GATEWAY, "");
    }
    return json(HttpStatus.OK, config.get().data());
  }

  private Optional<ClusterView> read() {
    try {
      return Optional.of(dcs.read());
    } catch (DcsException e) {
      return Optional.empty();
    }
  }

  private static ResponseEntity<JsonNode> json(HttpStatus status, JsonNode body) {
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(body);
  }

  /** Patroni's {@code cluster_as_json}, with 4.1's receive/replay fields. */
  public static ObjectNode render(ClusterView view, String scope) {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    ArrayNode members = doc.putArray("members");
    MemberRoles roles = MemberRoles.of(view);
    long clusterLsn = roles.clusterLsn();
    for (Member m : view.members().values()) {
      ObjectNode out = members.addObject();
      out.put("name", m.name());
      String role = roles.role(m);
      out.put("role", role);
      out.put("state", roles.state(m, role));
      m.apiUrl().ifPresent(u -> out.put("api_url", u));
      m.connUrl().ifPresent(u -> hostPort(u, out));
      for (String attr :
          new String[] {
            "timeline", "pending_restart", "pending_restart_reason", "scheduled_restart", "tags"
          }) {
        if (m.data().has(attr)) {
          out.set(attr, m.data().get(attr));
        }
      }
      if (!m.name().equals(roles.leader())) {
        lsnAndLag(out, "receive_", m.data().get("receive_lsn"), clusterLsn);
        lsnAndLag(out, "replay_", m.data().get("replay_lsn"), clusterLsn);
        lsnAndLag(out, "", m.data().get("xlog_location"), clusterLsn);
      }
    }
    if (roles.dynamic().pause()) {
      doc.put("pause", true);
    }
    Optional<Failover> failover = view.failover().filter(f -> f.scheduledAt() != null);
    failover.ifPresent(
        f -> {
          ObjectNode s = doc.putObject("scheduled_switchover");
          s.put("at", f.scheduledAt().toString());
          if (f.leader() != null) {
            s.put("from", f.leader());
          }
          if (f.candidate() != null) {
            s.put("to", f.candidate());
          }
        });
    doc.put("scope", scope);
    return doc;
  }

  private static void lsnAndLag(ObjectNode out, String prefix, JsonNode lsn, long clusterLsn) {
    if (lsn == null || !lsn.canConvertToLong() || clusterLsn <= 0) {
      out.put(prefix + "lag", "unknown");
      if (lsn != null && lsn.canConvertToLong()) {
        out.put(prefix + "lsn", formatLsn(lsn.asLong()));
      }
      return;
    }
    out.put(prefix + "lsn", formatLsn(lsn.asLong()));
    out.put(prefix + "lag", Math.max(0, clusterLsn - lsn.asLong()));
  }

  public static String formatLsn(long lsn) {
    return Lsn.format(lsn);
  }

  private static void hostPort(String connUrl, ObjectNode out) {
    try {
      URI uri = URI.create(connUrl);
      if (uri.getHost() != null) {
        out.put("host", uri.getHost());
      }
      if (uri.getPort() > 0) {
        out.put("port", uri.getPort());
      }
    } catch (IllegalArgumentException e) {
      // a member's conn_url we cannot read: no host and port, as Patroni
    }
  }
}
