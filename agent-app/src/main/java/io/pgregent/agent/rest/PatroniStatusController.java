package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import java.util.Optional;
import java.util.function.Predicate;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * Patroni's status and health-check endpoints. Every answer comes from the HA loop's last snapshot:
 * a health check never waits on PostgreSQL or the store. HEAD and OPTIONS answer with the same
 * status code as GET and no body, so a load balancer checking with either routes the same way.
 */
@RestController
public class PatroniStatusController {

  private final HaLoop loop;

  public PatroniStatusController(HaLoop loop) {
    this.loop = loop;
  }

  @RequestMapping(
      path = {"/", "/patroni"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> status(HttpMethod method) {
    return check(method, s -> true);
  }

  @RequestMapping(
      path = {"/primary", "/leader", "/master", "/read-write"},
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> primary(HttpMethod method) {
    return check(method, s -> s.holdsLock() && s.runningPrimary());
  }

  @RequestMapping(
      path = "/replica",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> replica(HttpMethod method) {
    boolean noloadbalance = loop.config().tags().noloadbalance();
    return check(method, s -> s.runningReplica() && !noloadbalance);
  }

  @RequestMapping(
      path = "/read-only",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> readOnly(HttpMethod method) {
    return check(method, s -> s.runningReplica() || (s.holdsLock() && s.runningPrimary()));
  }

  @RequestMapping(
      path = "/health",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<ObjectNode> health(HttpMethod method) {
    return check(method, s -> s.state().equals("running"));
  }

  /** The loop completed a cycle recently: within ttl as primary, 2 × ttl as replica. */
  @RequestMapping(
      path = "/liveness",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<Void> liveness() {
    Optional<AgentSnapshot> s = loop.snapshot();
    long budget =
        loop.ttlSeconds()
            * 1_000_000_000L
            * (s.map(AgentSnapshot::holdsLock).orElse(false) ? 1 : 2);
    boolean live = s.map(x -> System.nanoTime() - x.completedAtNanos() <= budget).orElse(true);
    return ResponseEntity.status(live ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  @RequestMapping(
      path = "/readiness",
      method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS})
  public ResponseEntity<Void> readiness() {
    boolean ready =
        loop.snapshot()
            .map(s -> (s.holdsLock() && s.runningPrimary()) || s.runningReplica())
            .orElse(false);
    return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  private ResponseEntity<ObjectNode> check(HttpMethod method, Predicate<AgentSnapshot> rule) {
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    if (snapshot.isEmpty()) {
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).build();
    }
    HttpStatus status = rule.test(snapshot.get()) ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    if (method != HttpMethod.GET) {
      return ResponseEntity.status(status).build();
    }
    return ResponseEntity.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .body(StatusDocument.render(snapshot.get(), loop.config()));
  }
}
