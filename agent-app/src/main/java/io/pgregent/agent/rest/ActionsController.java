package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.LocalConfigReload;
import io.pgregent.agent.loop.ScheduledRestart;
import io.pgregent.agent.loop.TaskBusyException;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.postgres.PostgresException;
import io.pgregent.postgres.PostgresPort;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Patroni's unsafe actions on this member: POST {@code /restart}, {@code /reinitialize}, {@code
 * /reload} and DELETE {@code /restart}. Each request is validated whole before anything happens;
 * the messages and status codes are Patroni's. Switchover and failover are {@link
 * SwitchoverController}'s.
 */
@RestController
public class ActionsController {

  private static final Logger log = LoggerFactory.getLogger(ActionsController.class);
  private static final Set<String> REINIT_FIELDS = Set.of("force", "from_leader", "from-leader");

  private final Dcs dcs;
  private final HaLoop loop;
  private final PostgresPort postgres;
  private final ServerVersion serverVersion;
  private final LocalConfigReload reloader;

  public ActionsController(
      Dcs dcs,
      HaLoop loop,
      PostgresPort postgres,
      ServerVersion serverVersion,
      Optional<LocalConfigReload> reloader) {
    this.reloader = reloader.orElse(null);
    this.dcs = dcs;
    this.loop = loop;
    this.postgres = postgres;
    this.serverVersion = serverVersion;
    loop.restarts().onRun(this::runScheduledRestart);
  }

  // ---- restart ----

  @PostMapping(path = "/restart")
  public ResponseEntity<String> restart(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    ObjectNode request = JsonBodies.object(length, body, true);
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    boolean paused = snapshot.map(AgentSnapshot::paused).orElse(false);
    if (paused && request.has("schedule")) {
      return Responses.text(400, "Can't schedule restart in the paused state");
    }
    Integer timeout = null;
    for (Map.Entry<String, JsonNode> e : request.properties()) {
      String k = e.getKey();
      JsonNode v = e.getValue();
      switch (k) {
        case "schedule" -> {
          if (!v.isTextual()) {
            return Responses.text(
                422,
                "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g."
                    + " ISO 8601");
          }
          ActionRequests.Schedule s = ActionRequests.parseSchedule(v.asText(), "restart");
          if (s.error() != null) {
            return Responses.text(s.status(), s.error());
          }
        }
        case "role" -> {
          if (!v.isTextual()
              || !Set.of("primary", "standby_leader", "replica").contains(v.asText())) {
            return Responses.text(
                400, "PostgreSQL role should be either primary, standby_leader, or replica");
          }
        }
        case "postgres_version" -> {
          if (!v.isTextual() || ActionRequests.postgresVersion(v.asText()).isEmpty()) {
            return Responses.text(
                400, "PostgreSQL version should be in the first.major.minor format");
          }
        }
        case "timeout" -> {
          java.util.OptionalLong t =
              v.isIntegralNumber()
                  ? java.util.OptionalLong.of(v.asLong())
                  : v.isTextual()
                      ? ActionRequests.seconds(v.asText())
                      : java.util.OptionalLong.empty();
          if (t.isEmpty() || t.getAsLong() <= 0 || t.getAsLong() > Integer.MAX_VALUE) {
            return Responses.text(400, "Timeout should be a positive number of seconds");
          }
          timeout = (int) t.getAsLong();
        }
        case "restart_pending" -> {
          Optional<Boolean> b = JsonBodies.bool(v);
          if (b.isEmpty()) {
            return Responses.text(400, "restart_pending should be true or false");
          }
          // Normalised, so that the filter kept with a scheduled restart reads the same.
          request.put("restart_pending", b.get());
        }
        default -> {
          return Responses.text(400, "Unknown filter for the scheduled restart: " + k);
        }
      }
    }
    if (request.has("schedule")) {
      OffsetDateTime at =
          ActionRequests.parseSchedule(request.get("schedule").asText(), "restart").at();
      ObjectNode filters = request.deepCopy();
      filters.remove("schedule");
      String started =
          snapshot
              .flatMap(s -> s.postgres().server())
              .map(st -> String.valueOf(st.postmasterStartTime()))
              .orElse(null);
      if (!loop.restarts().schedule(new ScheduledRestart(at, filters, started))) {
        return Responses.text(
            409, "Failed to schedule restart: another restart is already scheduled");
      }
      log.info("restart scheduled through the REST API at {}", at);
      return Responses.text(202, "Restart scheduled");
    }
    if (snapshot.isEmpty() || !conditionsMet(snapshot.get(), request)) {
      return Responses.text(503, "restart conditions are not satisfied");
    }
    try {
      return loop.runTask(
          "restart",
          () -> {
            log.info("restarting PostgreSQL as requested through the REST API");
            postgres.restart(loop::mayStayPrimary);
            return Responses.text(200, "restarted successfully");
          });
    } catch (TaskBusyException e) {
      return Responses.text(503, "restart failed: " + e.getMessage());
    } catch (Exception e) {
      log.warn("restart requested through the REST API failed: {}", e.getMessage());
      return Responses.text(503, "restart failed");
    }
  }

  /** Runs a scheduled restart when it is due, if its conditions still hold. */
  private void runScheduledRestart(ScheduledRestart r) {
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    if (snapshot.isEmpty() || !conditionsMet(snapshot.get(), r.filters())) {
      log.info("scheduled restart at {} skipped: its conditions are not satisfied", r.at());
      return;
    }
    try {
      loop.startTask(
          "restart",
          () -> {
            log.info("restarting PostgreSQL as scheduled for {}", r.at());
            postgres.restart(loop::mayStayPrimary);
          });
    } catch (TaskBusyException e) {
      log.warn("scheduled restart at {} skipped: {}", r.at(), e.getMessage());
    }
  }

  /** Patroni's restart filters: role, postgres_version (restart only if older), restart_pending. */
  private boolean conditionsMet(AgentSnapshot s, ObjectNode request) {
    HealthRules.Facts facts = new HealthRules.Facts(s, loop.config().name(), loop.config().tags());
    JsonNode role = request.get("role");
    if (role != null && !role.asText().equals(facts.role())) {
      return false;
    }
    JsonNode version = request.get("postgres_version");
    if (version != null) {
      OptionalInt wanted = ActionRequests.postgresVersion(version.asText());
      OptionalInt current = serverVersion.number();
      if (current.isPresent() && current.getAsInt() >= wanted.getAsInt()) {
        return false;
      }
    }
    JsonNode pending = request.get("restart_pending");
    return pending == null || !pending.asBoolean() || s.postgres().pendingRestart();
  }

  @DeleteMapping(path = "/restart")
  public ResponseEntity<String> deleteRestart() {
    if (loop.restarts().cancel()) {
      return Responses.text(200, "scheduled restart deleted");
    }
    return Responses.text(404, "no restarts are scheduled");
  }

  // ---- reinitialize / reload ----

  @PostMapping(path = "/reinitialize")
  public ResponseEntity<String> reinitialize(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    ObjectNode request = JsonBodies.object(length, body, true);
    for (Map.Entry<String, JsonNode> e : request.properties()) {
      if (!REINIT_FIELDS.contains(e.getKey())) {
        return Responses.text(400, "unknown field: " + e.getKey());
      }
      if (!e.getValue().isBoolean()) {
        return Responses.text(400, e.getKey() + ": must be true or false");
      }
    }
    ClusterView view;
    try {
      view = dcs.read();
    } catch (DcsException e) {
      return Responses.text(503, "DCS is not available");
    }
    if (view.leader().isEmpty()) {
      return Responses.text(503, "Cluster has no leader, can not reinitialize");
    }
    if (view.isLockedBy(loop.config().name())) {
      return Responses.text(503, "I am the leader, can not reinitialize");
    }
    String leader = view.leader().get().name();
    boolean force = request.path("force").asBoolean(false);
    boolean streaming =
        loop.snapshot()
            .flatMap(s -> s.postgres().server())
            .map(st -> st.inRecovery() && st.streaming())
            .orElse(false);
    if (streaming && !force) {
      return Responses.text(
          409,
          "this replica streams from the leader: reinitialize it with {\"force\": true} to"
              + " re-clone it anyway; nothing was changed");
    }
    io.pgregent.postgres.LeaderConnection from;
    try {
      URI uri = URI.create(view.member(leader).flatMap(Member::connUrl).orElseThrow());
      from =
          new io.pgregent.postgres.LeaderConnection(
              leader, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
    } catch (RuntimeException e) {
      return Responses.text(503, "the leader " + leader + " has not published its address");
    }
    try {
      loop.startTask(
          HaLoop.REINITIALIZE_TASK,
          () -> {
            log.info("reinitializing this replica from {} as requested", leader);
            postgres.reinitialize(from, Duration.ofMinutes(30));
            log.info("reinitialized this replica from {}", leader);
          });
    } catch (TaskBusyException e) {
      return Responses.text(503, e.getMessage());
    }
    return Responses.text(200, "reinitialize started");
  }

  @PostMapping(path = "/reload")
  public ResponseEntity<String> reload() {
    if (reloader != null && !reloader.reload(loop)) {
      return Responses.text(400, "reload failed: the configuration is invalid; nothing changed");
    }
    try {
      postgres.reload();
      return Responses.text(202, "reload scheduled");
    } catch (PostgresException e) {
      if (!postgres.isRunning()) {
        // Stopped (a rewind, a restart): it reads its configuration when it starts again.
        log.info("PostgreSQL is not running: nothing to reload until it starts");
        return Responses.text(202, "reload scheduled");
      }
      log.warn("reload requested through the REST API failed: {}", e.getMessage());
      return Responses.text(503, "reload failed: PostgreSQL did not accept the signal");
    }
  }

  /** {@code 15.2} → 150002; empty when not a version. */
  static OptionalInt postgresVersion(String text) {
    return ActionRequests.postgresVersion(text);
  }
}
