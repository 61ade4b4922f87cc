package io.pgregent.agent.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.rest.ClusterController;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.ClusterCodec;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The console's view of the cluster, rendered from what the REST API already reads: the loop's last
 * snapshot of the store (members as {@code GET /cluster} renders them, history, sync, failover and
 * failsafe keys, the dynamic configuration) and this member's own state. Pure: the inputs carry
 * everything, so the same facts give the same document and a change is seen by comparing documents.
 */
public final class ConsoleState {

  private ConsoleState() {}

  /**
   * What one document is rendered from.
   *
   * @param self this member's name
   * @param scope the cluster's name
   * @param snapshot the loop's last snapshot, empty before the first cycle
   * @param leaseRemaining how long this member's leader lease still runs, when it holds the lock
   * @param task the long PostgreSQL task this member runs (restart, reinitialize), if any
   * @param decisions each member's recent log lines; a member mapped to null did not answer
   * @param replayLagMillis the leader's {@code replay_lag} per standby, in milliseconds
   */
  public record Inputs(
      String self,
      String scope,
      Optional<AgentSnapshot> snapshot,
      Optional<Duration> leaseRemaining,
      Optional<String> task,
      Map<String, JsonNode> decisions,
      Map<String, Long> replayLagMillis) {

    /** Without lag times. */
    public Inputs(
        String self,
        String scope,
        Optional<AgentSnapshot> snapshot,
        Optional<Duration> leaseRemaining,
        Optional<String> task,
        Map<String, JsonNode> decisions) {
      this(self, scope, snapshot, leaseRemaining, task, decisions, Map.of());
    }
  }

  public static ObjectNode render(Inputs in) {
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.put("scope", in.scope());
    doc.put("self", in.self());
    Optional<ClusterView> view = in.snapshot().flatMap(AgentSnapshot::view);
    ObjectNode store = doc.putObject("store");
    store.put("reachable", view.isPresent());
    in.snapshot().ifPresent(s -> store.put("last_seen", s.dcsLastSeenEpochSeconds()));
    ObjectNode me = doc.putObject("member");
    in.snapshot()
        .ifPresent(
            s -> {
              me.put("state", s.state());
              me.put("role", s.role());
              me.put("holds_lock", s.holdsLock());
              me.put("message", s.message());
            });
    in.task().ifPresent(t -> me.put("task", t));
    if (view.isEmpty()) {
      return doc;
    }
    ClusterView v = view.get();
    ObjectNode cluster = ClusterController.render(v, in.scope());
    for (JsonNode m : cluster.path("members")) {
      ObjectNode member = (ObjectNode) m;
      String name = member.path("name").asText();
      if (in.decisions().containsKey(name)) {
        JsonNode lines = in.decisions().get(name);
        member.put("reachable", lines != null);
        if (lines != null) {
          member.set("decisions", lines);
        }
      }
      Long lagMillis = in.replayLagMillis().get(name);
      if (lagMillis != null && lagMillis >= 0) {
        member.put("replay_lag_seconds", lagMillis / 1000.0);
      }
      v.member(name)
          .ifPresent(
              stored -> {
                // what GET /cluster leaves out for a leader: its own WAL position
                stored
                    .xlogLocation()
                    .ifPresent(l -> member.put("lsn", ClusterController.formatLsn(l)));
                stored.role().ifPresent(r -> member.put("member_role", r));
              });
    }
    doc.set("members", cluster.path("members"));
    DynamicConfig dynamic =
        v.config().map(ClusterConfig::settings).orElseGet(DynamicConfig::defaults);
    v.leader()
        .ifPresentOrElse(
            l -> {
              ObjectNode leader = doc.putObject("leader");
              leader.put("name", l.name());
              leader.put("ttl", dynamic.ttl());
              if (l.name().equals(in.self())) {
                in.leaseRemaining().ifPresent(r -> leader.put("lease_remaining_ms", r.toMillis()));
              }
            },
            () -> doc.putNull("leader"));
    v.failover()
        .filter(f -> !f.isEmpty())
        .ifPresent(
            f -> {
              ObjectNode out = doc.putObject("failover");
              putIfSet(out, "leader", f.leader());
              putIfSet(out, "candidate", f.candidate());
              if (f.scheduledAt() != null) {
                out.put("scheduled_at", f.scheduledAt().toString());
              }
            });
    if (dynamic.isSynchronousMode()) {
      ObjectNode sync = doc.putObject("sync");
      sync.put("mode", dynamic.synchronousMode().name().toLowerCase(Locale.ROOT));
      v.sync()
          .ifPresent(
              s -> {
                putIfSet(sync, "leader", s.leader());
                ArrayNode standbys = sync.putArray("standbys");
                s.syncStandbys().forEach(standbys::add);
                if (s.quorum() != null) {
                  sync.put("quorum", s.quorum());
                }
              });
    }
    ArrayNode history = doc.putArray("history");
    for (TimelineHistory.Entry e :
        v.history().map(TimelineHistory::entries).orElse(java.util.List.of())) {
      ObjectNode line = history.addObject();
      line.put("timeline", e.timeline());
      line.put("lsn", ClusterController.formatLsn(e.switchLsn()));
      line.put("reason", e.reason());
      putIfSet(line, "timestamp", e.timestamp());
      putIfSet(line, "new_leader", e.newLeader());
    }
    doc.put("pause", dynamic.pause());
    ObjectNode failsafe = doc.putObject("failsafe");
    failsafe.put("mode", dynamic.failsafeMode());
    v.failsafe()
        .ifPresent(
            f -> {
              ArrayNode members = failsafe.putArray("members");
              f.members().keySet().stream().sorted().forEach(members::add);
            });
    ObjectNode config = doc.putObject("config");
    config.put("ttl", dynamic.ttl());
    config.put("loop_wait", dynamic.loopWait());
    config.put("retry_timeout", dynamic.retryTimeout());
    config.put("synchronous_mode", dynamic.synchronousMode().name().toLowerCase(Locale.ROOT));
    v.config().ifPresent(c -> config.put("maximum_lag_on_failover", c.maximumLagOnFailover()));
    return doc;
  }

  private static void putIfSet(ObjectNode out, String field, String value) {
    if (value != null) {
      out.put(field, value);
    }
  }
}
