package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.LocalConfigReload;
import io.pgregent.agent.loop.PeerClient;
import io.pgregent.agent.loop.ScheduledRestart;
import io.pgregent.agent.loop.TaskBusyException;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterStore;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.PostgresException;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Patroni's unsafe actions: POST {@code /switchover}, {@code /failover}, {@code /restart}, {@code
 * /reinitialize}, {@code /reload}, DELETE {@code /switchover} and {@code /restart}. Each request is
 * validated whole before anything happens; the messages and status codes are Patroni's.
 *
 * <p>A switchover or failover is handed to the HA loop through the store's {@code failover} key
 * (compare-and-set); the answer reports what the store shows afterwards, bounded in time, and never
 * claims a switchover it has not seen.
 */
@RestController
public class ActionsController {

  private static final Logger log = LoggerFactory.getLogger(ActionsController.class);
  private static final Set<String> FAILOVER_FIELDS =
      Set.of("leader", "candidate", "member", "scheduled_at");
  private static final Set<String> RESTART_FIELDS =
      Set.of("schedule", "role", "postgres_version", "timeout", "restart_pending");
  private static final Set<String> REINIT_FIELDS = Set.of("force", "from_leader", "from-leader");

  private final Dcs dcs;
  private final HaLoop loop;
  private final PostgresController postgres;
  private final ServerVersion serverVersion;
  private final PeerClient peers;
  private final Duration pollTimeout;
  private final LocalConfigReload reloader;

  public ActionsController(
      Dcs dcs,
      HaLoop loop,
      PostgresController postgres,
      ServerVersion serverVersion,
      @Value("${regent.restapi.switchover_timeout:0}") int switchoverTimeoutSeconds,
      Optional<LocalConfigReload> reloader) {
    this.reloader = reloader.orElse(null);
    this.dcs = dcs;
    this.loop = loop;
    this.postgres = postgres;
    this.serverVersion = serverVersion;
    this.peers = loop.peers();
    this.pollTimeout =
        switchoverTimeoutSeconds > 0 ? Duration.ofSeconds(switchoverTimeoutSeconds) : null;
    loop.onScheduledRestart(this::runScheduledRestart);
  }

  // ---- switchover / failover ----

  @PostMapping(path = "/switchover")
  public ResponseEntity<String> switchover(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    return failover("switchover", length, body);
  }

  @PostMapping(path = "/failover")
  public ResponseEntity<String> failover(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    return failover("failover", length, body);
  }

  private ResponseEntity<String> failover(String action, String length, byte[] body) {
    ObjectNode request;
    try {
      request = JsonBodies.object(length, body, false);
    } catch (JsonBodies.Rejected e) {
      return Responses.text(e.status, e.getMessage());
    }
    String leader = text(request, "leader");
    String candidate = text(request, "candidate");
    if (candidate == null) {
      candidate = text(request, "member");
    }
    // The missing target is what a user needs to hear first, whatever else the body holds.
    if (action.equals("failover") && candidate == null) {
      return Responses.text(400, "Failover could be performed only to a specific candidate");
    }
    for (Map.Entry<String, JsonNode> e : request.properties()) {
      if (!FAILOVER_FIELDS.contains(e.getKey())) {
        return Responses.text(400, "unknown field: " + e.getKey());
      }
      if (!e.getValue().isTextual() && !e.getValue().isNull()) {
        return Responses.text(400, e.getKey() + ": must be a string");
      }
    }
    String scheduledText = text(request, "scheduled_at");
    ClusterView view;
    try {
      view = dcs.read();
    } catch (DcsException e) {
      return Responses.text(503, "DCS is not available");
    }
    boolean paused = pausedIn(view);
    if (action.equals("switchover") && leader == null) {
      return Responses.text(400, "Switchover could be performed only from a specific leader");
    }
    OffsetDateTime scheduledAt = null;
    if (scheduledText != null) {
      if (action.equals("failover")) {
        return Responses.text(400, "Failover can't be scheduled");
      }
      if (paused) {
        return Responses.text(400, "Can't schedule switchover in the paused state");
      }
      Schedule s = parseSchedule(scheduledText, action);
      if (s.error != null) {
        return Responses.text(s.status, s.error);
      }
      scheduledAt = s.at;
    }
    if (paused && candidate == null) {
      return Responses.text(
          400, "Switchover is possible only to a specific candidate in a paused state");
    }
    if (action.equals("failover") && leader != null) {
      log.warn("received failover request with leader specified - performing switchover instead");
      action = "switchover";
    }
    if (leader != null && leader.equals(candidate)) {
      return Responses.text(400, "Switchover target and source are the same");
    }
    if (scheduledAt == null) {
      String impossible = failoverImpossible(view, leader, candidate, action);
      if (impossible != null) {
        return Responses.text(412, impossible);
      }
    }
    Optional<Failover> current = view.failover();
    long version = current.map(Failover::version).orElse(ClusterStore.CREATE_ONLY);
    boolean written;
    try {
      written =
          dcs.compareAndSet(
              ClusterKey.FAILOVER,
              version,
              ClusterCodec.encode(new Failover(leader, candidate, scheduledAt, 0)));
    } catch (DcsException e) {
      written = false;
    }
    if (!written) {
      return Responses.text(503, "failed to write failover key into DCS");
    }
    log.info(
        "{} requested through the REST API: leader={} candidate={} scheduled_at={}",
        action,
        leader,
        candidate,
        scheduledAt);
    String title = Character.toUpperCase(action.charAt(0)) + action.substring(1);
    if (scheduledAt != null) {
      return Responses.text(202, title + " scheduled");
    }
    return pollResult(view.leader().map(l -> l.name()).orElse(null), candidate, action, title);
  }

  /** Patroni's {@code is_failover_possible}: the reason it is not, or null. */
  private String failoverImpossible(
      ClusterView view, String leader, String candidate, String action) {
    if (leader != null && !view.leader().map(l -> l.name().equals(leader)).orElse(false)) {
      return "leader name does not match";
    }
    String syncMode = syncMode(view);
    List<Member> members;
    if (candidate != null) {
      if (action.equals("switchover")
          && syncMode.equals("on")
          && !view.sync().map(s -> s.isSyncStandby(candidate)).orElse(false)) {
        return "candidate name does not match with sync_standby";
      }
      members = view.member(candidate).map(List::of).orElse(List.of());
      if (members.isEmpty()) {
        return "candidate does not exists";
      }
    } else if (syncMode.equals("on")) {
      members =
          view.members().values().stream()
              .filter(m -> view.sync().map(s -> s.isSyncStandby(m.name())).orElse(false))
              .toList();
      if (members.isEmpty()) {
        return action + " is not possible: can not find sync_standby";
      }
    } else {
      members =
          view.members().values().stream()
              .filter(m -> !view.isLockedBy(m.name()) && m.apiUrl().isPresent())
              .toList();
      if (members.isEmpty()) {
        return action + " is not possible: cluster does not have members except leader";
      }
    }
    Map<String, PeerStatus> answers = peers.query(members);
    if (candidate != null && view.leader().isPresent()) {
      String unfit = unfitCandidate(view, candidate, answers.get(candidate));
      if (unfit != null) {
        return action + " is not possible: " + unfit;
      }
      return null;
    }
    for (PeerStatus st : answers.values()) {
      if (st.reachable() && st.eligible()) {
        return null;
      }
    }
    return action + " is not possible: no good candidates have been found";
  }

  /**
   * Why a named candidate cannot take over from a running leader, or null: it must answer, be
   * allowed to promote, be a standby and be within maximum_lag_on_failover of the leader.
   */
  private String unfitCandidate(ClusterView view, String candidate, PeerStatus st) {
    // Patroni's wording for a candidate that cannot promote at all; the log says why.
    if (st == null || !st.reachable()) {
      log.info("candidate {} does not answer or its PostgreSQL is not running", candidate);
      return "no good candidates have been found";
    }
    if (!st.eligible()) {
      log.info("candidate {} is not allowed to promote (nofailover)", candidate);
      return "no good candidates have been found";
    }
    // Whether it streams right now is not asked: one reconnecting to a leader restarted a moment
    // ago is a valid target, and the leader waits for it to stream before it steps down.
    if (st.primary()) {
      return "candidate " + candidate + " is running as a primary";
    }
    long leaderPosition =
        view.leaderMember()
            .flatMap(Member::xlogLocation)
            .orElse(view.status().map(s -> s.optime()).orElse(0L));
    long maxLag =
        view.config()
            .map(ClusterConfig::maximumLagOnFailover)
            .orElse(ClusterConfig.DEFAULT_MAXIMUM_LAG_ON_FAILOVER);
    long lag = leaderPosition - st.walPosition();
    if (lag > maxLag) {
      return "candidate "
          + candidate
          + " lags "
          + lag
          + " bytes behind the leader, more than maximum_lag_on_failover ("
          + maxLag
          + ")";
    }
    return null;
  }

  /** Patroni's {@code poll_failover_result}, waiting on the store's change signal. */
  private ResponseEntity<String> pollResult(
      String oldLeader, String candidate, String action, String title) {
    Duration timeout =
        pollTimeout != null
            ? pollTimeout
            : Duration.ofSeconds(2L * Math.max(10, loopWaitSeconds()));
    long deadline = System.nanoTime() + timeout.toNanos();
    String verb = action.substring(0, action.length() - 4);
    while (true) {
      long since = dcs.changeCount();
      try {
        ClusterView view = dcs.read();
        Optional<String> leader = view.leader().map(l -> l.name());
        if (leader.isPresent() && !leader.get().equals(oldLeader)) {
          if (candidate == null || candidate.equals(leader.get())) {
            return Responses.text(
                200, "Successfully " + verb + "ed over to \"" + leader.get() + "\"");
          }
          return Responses.text(
              200,
              Character.toUpperCase(verb.charAt(0))
                  + verb.substring(1)
                  + "ed over to \""
                  + leader.get()
                  + "\" instead of \""
                  + candidate
                  + "\"");
        }
        if (view.failover().map(Failover::isEmpty).orElse(true)) {
          return Responses.text(503, title + " failed");
        }
      } catch (DcsException e) {
        log.debug("store read failed while waiting for the {}: {}", action, e.getMessage());
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Responses.text(
            503,
            title
                + " status unknown after "
                + timeout.toSeconds()
                + " seconds; operation may still be in progress");
      }
      try {
        dcs.awaitChange(since, Duration.ofNanos(Math.min(left, Duration.ofSeconds(1).toNanos())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Responses.text(503, title + " status unknown");
      }
    }
  }

  @DeleteMapping(path = "/switchover")
  public ResponseEntity<String> deleteSwitchover() {
    try {
      Optional<Failover> f = dcs.read().failover();
      if (f.isEmpty() || f.get().scheduledAt() == null) {
        return Responses.text(404, "no switchover is scheduled");
      }
      if (!dcs.compareAndSet(
          ClusterKey.FAILOVER,
          f.get().version(),
          ClusterCodec.encode(new Failover(null, null, null, 0)))) {
        return Responses.text(409, "the scheduled switchover changed meanwhile");
      }
      return Responses.text(200, "scheduled switchover deleted");
    } catch (DcsException e) {
      return Responses.text(503, "DCS is not available");
    }
  }

  // ---- restart ----

  @PostMapping(path = "/restart")
  public ResponseEntity<String> restart(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    ObjectNode request;
    try {
      request = JsonBodies.object(length, body, true);
    } catch (JsonBodies.Rejected e) {
      return Responses.text(e.status, e.getMessage());
    }
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
          Schedule s = parseSchedule(v.asText(), "restart");
          if (s.error != null) {
            return Responses.text(s.status, s.error);
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
          if (!v.isTextual() || postgresVersion(v.asText()).isEmpty()) {
            return Responses.text(
                400, "PostgreSQL version should be in the first.major.minor format");
          }
        }
        case "timeout" -> {
          java.util.OptionalLong t =
              v.isIntegralNumber()
                  ? java.util.OptionalLong.of(v.asLong())
                  : v.isTextual() ? seconds(v.asText()) : java.util.OptionalLong.empty();
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
      OffsetDateTime at = parseSchedule(request.get("schedule").asText(), "restart").at;
      ObjectNode filters = request.deepCopy();
      filters.remove("schedule");
      String started =
          snapshot
              .flatMap(s -> s.postgres().server())
              .map(st -> String.valueOf(st.postmasterStartTime()))
              .orElse(null);
      if (!loop.scheduleRestart(new ScheduledRestart(at, filters, started))) {
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
      OptionalInt wanted = postgresVersion(version.asText());
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
    if (loop.cancelScheduledRestart()) {
      return Responses.text(200, "scheduled restart deleted");
    }
    return Responses.text(404, "no restarts are scheduled");
  }

  // ---- reinitialize / reload ----

  @PostMapping(path = "/reinitialize")
  public ResponseEntity<String> reinitialize(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    ObjectNode request;
    try {
      request = JsonBodies.object(length, body, true);
    } catch (JsonBodies.Rejected e) {
      return Responses.text(e.status, e.getMessage());
    }
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
          "reinitialize",
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

  // ---- helpers ----

  private record Schedule(int status, String error, OffsetDateTime at) {}

  /** Patroni's {@code parse_schedule}: ISO 8601 with a time zone, in the future. */
  static Schedule parseSchedule(String text, String action) {
    OffsetDateTime at;
    try {
      at = OffsetDateTime.parse(text.trim().replace(' ', 'T'));
    } catch (DateTimeParseException e) {
      try {
        java.time.LocalDateTime.parse(text.trim().replace(' ', 'T'));
        return new Schedule(
            400, "Timezone information is mandatory for the scheduled " + action, null);
      } catch (DateTimeParseException e2) {
        return new Schedule(
            422,
            "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO"
                + " 8601",
            null);
      }
    }
    if (at.isBefore(OffsetDateTime.now())) {
      return new Schedule(422, "Cannot schedule " + action + " in the past", null);
    }
    return new Schedule(0, null, at);
  }

  /** {@code 15.2} → 150002, {@code 9.6.24} → 90624; empty when not a version. */
  static OptionalInt postgresVersion(String text) {
    if (!text.matches("\\d{1,3}(\\.\\d{1,3}){1,2}")) {
      return OptionalInt.empty();
    }
    return ServerVersion.parse(text);
  }

  private static java.util.OptionalLong seconds(String text) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^\\s*(\\d{1,9})\\s*(s|min|h|d)?\\s*$").matcher(text);
    if (!m.matches()) {
      return java.util.OptionalLong.empty();
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    long factor =
        switch (unit) {
          case "min" -> 60;
          case "h" -> 3600;
          case "d" -> 86400;
          default -> 1;
        };
    return java.util.OptionalLong.of(n * factor);
  }

  private static String text(ObjectNode request, String field) {
    JsonNode n = request.get(field);
    return n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
  }

  private static boolean pausedIn(ClusterView view) {
    return view.config().map(c -> c.settings().pause()).orElse(false);
  }

  private static String syncMode(ClusterView view) {
    // A standby cluster ignores synchronous_mode, as Patroni does: its leader takes no writes.
    return view.config()
        .filter(c -> !c.settings().isStandbyCluster())
        .map(c -> c.settings().synchronousMode().name().toLowerCase(java.util.Locale.ROOT))
        .orElse("off");
  }

  private int loopWaitSeconds() {
    return loop.snapshot()
        .flatMap(AgentSnapshot::view)
        .flatMap(ClusterView::config)
        .map(c -> c.loopWait())
        .orElse(10);
  }
}
