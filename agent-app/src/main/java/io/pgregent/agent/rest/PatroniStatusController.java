package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.rest.HealthRules.Check;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Patroni's status and health-check endpoints. Every answer comes from the HA loop's last snapshot:
 * a health check never waits on PostgreSQL or the store. HEAD and OPTIONS answer with the same
 * status code as GET and no body, so a load balancer checking with either routes the same way
 * (mapped explicitly: Spring's default OPTIONS answer would be 200 everywhere).
 */
@RestController
public class PatroniStatusController {

  private final HaLoop loop;
  private final ServerVersion serverVersion;

  public PatroniStatusController(HaLoop loop, ServerVersion serverVersion) {
    this.loop = loop;
    this.serverVersion = serverVersion;
  }

  @RequestMapping(
      path = "/patroni",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> status(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.STATUS, method, q);
  }

  @RequestMapping(
      path = {"/", "/primary", "/master", "/read-write"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> primary(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.PRIMARY, method, q);
  }

  @RequestMapping(
      path = "/leader",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> leader(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.LEADER, method, q);
  }

  @RequestMapping(
      path = {"/standby-leader", "/standby_leader"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> standbyLeader(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.STANDBY_LEADER, method, q);
  }

  @RequestMapping(
      path = "/replica",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> replica(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.REPLICA, method, q);
  }

  @RequestMapping(
      path = "/read-only",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> readOnly(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.READ_ONLY, method, q);
  }

  @RequestMapping(
      path = {"/synchronous", "/sync"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> sync(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.SYNC, method, q);
  }

  @RequestMapping(
      path = "/quorum",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> quorum(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.QUORUM, method, q);
  }

  @RequestMapping(
      path = {"/asynchronous", "/async"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> async(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.ASYNC, method, q);
  }

  @RequestMapping(
      path = {"/read-only-sync", "/read-only-synchronous"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> readOnlySync(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.READ_ONLY_SYNC, method, q);
  }

  @RequestMapping(
      path = "/read-only-quorum",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> readOnlyQuorum(
      HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.READ_ONLY_QUORUM, method, q);
  }

  @RequestMapping(
      path = "/health",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> health(HttpMethod method, @RequestParam Map<String, String> q) {
    return check(Check.HEALTH, method, q);
  }

  /** The loop completed a cycle recently: within ttl as leader, 2 × ttl otherwise. No body. */
  @RequestMapping(
      path = "/liveness",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<Void> liveness() {
    boolean live = HealthRules.live(loop.snapshot(), loop.ttlSeconds(), System.nanoTime());
    return ResponseEntity.status(live ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  @RequestMapping(
      path = "/readiness",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<Void> readiness(@RequestParam Map<String, String> q) {
    Optional<AgentSnapshot> s = loop.snapshot();
    boolean ready = s.isPresent() && HealthRules.ready(s, facts(s.get()), q);
    return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  HealthRules.Facts facts(AgentSnapshot s) {
    return new HealthRules.Facts(s, loop.config().name(), loop.config().tags());
  }

  private ResponseEntity<ObjectNode> check(Check check, HttpMethod method, Map<String, String> q) {
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    if (snapshot.isEmpty()) {
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).build();
    }
    HealthRules.Facts facts = facts(snapshot.get());
    HttpStatus status =
        HealthRules.passes(check, facts, q) ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    if (method != HttpMethod.GET) {
      return ResponseEntity.status(status).build();
    }
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .body(StatusDocument.render(facts, loop.config(), serverVersion.number()));
  }
}
