package io.pgregent.agent.rest;

import static io.pgregent.agent.rest.ActionRequests.pausedIn;
import static io.pgregent.agent.rest.ActionRequests.syncMode;
import static io.pgregent.agent.rest.ActionRequests.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.PeerCalls;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.SwitchoverProgress;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterStore;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.ha.PeerStatus;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Patroni's POST {@code /switchover} and {@code /failover}, and DELETE {@code /switchover}. Each
 * request is validated whole before anything happens; the messages and status codes are Patroni's.
 * A switchover or failover is handed to the HA loop through the store's {@code failover} key
 * (compare-and-set). The answer reports what the store shows afterwards, bounded in time, and never
 * claims a switchover it has not seen; with {@code Accept: text/event-stream} the same request
 * streams each step as the store shows it and ends with the outcome ({@link SwitchoverStream}).
 */
@RestController
public class SwitchoverController {

  private static final Logger log = LoggerFactory.getLogger(SwitchoverController.class);
  private static final Set<String> FAILOVER_FIELDS =
      Set.of("leader", "candidate", "member", "scheduled_at");

  private final Dcs dcs;
  private final HaLoop loop;
  private final PeerCalls peers;
  private final Duration pollTimeout;

  public SwitchoverController(
      Dcs dcs,
      HaLoop loop,
      @Value("${regent.restapi.switchover_timeout:0}") int switchoverTimeoutSeconds) {
    this.dcs = dcs;
    this.loop = loop;
    this.peers = loop.peers();
    this.pollTimeout =
        switchoverTimeoutSeconds > 0 ? Duration.ofSeconds(switchoverTimeoutSeconds) : null;
  }

  @PostMapping(path = "/switchover")
  public ResponseEntity<String> switchover(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestHeader(value = "Accept", required = false) String accept,
      @RequestBody(required = false) byte[] body,
      HttpServletResponse response)
      throws IOException {
    return failover("switchover", length, body, SwitchoverStream.wanted(accept), response);
  }

  @PostMapping(path = "/failover")
  public ResponseEntity<String> failover(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestHeader(value = "Accept", required = false) String accept,
      @RequestBody(required = false) byte[] body,
      HttpServletResponse response)
      throws IOException {
    return failover("failover", length, body, SwitchoverStream.wanted(accept), response);
  }

  /**
   * Validates, writes the failover key, then answers as Patroni does (after waiting a bounded time
   * for the store to show a new leader) or, when the client asked for events, streams the steps and
   * the outcome; a null answer means the stream was written.
   */
  private ResponseEntity<String> failover(
      String action, String length, byte[] body, boolean stream, HttpServletResponse response)
      throws IOException {
    ObjectNode request = JsonBodies.object(length, body, false);
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
      ActionRequests.Schedule s = ActionRequests.parseSchedule(scheduledText, action);
      if (s.error() != null) {
        return Responses.text(s.status(), s.error());
      }
      scheduledAt = s.at();
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
    if (stream) {
      try {
        SwitchoverStream.write(
            dcs, response, new SwitchoverProgress(action, view, candidate), streamBound());
      } catch (IOException e) {
        // the operation goes on in the store; only its follower left
        log.info("the client following the {} went away: {}", action, e.getMessage());
      }
      return null;
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

  /** How long a stream follows an operation: a demotion, a promotion and a rejoin, with room. */
  private Duration streamBound() {
    int ttl =
        loop.snapshot()
            .flatMap(AgentSnapshot::view)
            .flatMap(ClusterView::config)
            .map(c -> c.settings().ttl())
            .orElse(30);
    return Duration.ofSeconds(6L * ttl + 60);
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

  private int loopWaitSeconds() {
    return loop.snapshot()
        .flatMap(AgentSnapshot::view)
        .flatMap(ClusterView::config)
        .map(c -> c.loopWait())
        .orElse(10);
  }
}
