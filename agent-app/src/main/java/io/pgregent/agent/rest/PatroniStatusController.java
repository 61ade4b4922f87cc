package io.pgregent.agent.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.rest.HealthRules.Check;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Patroni's status and health-check endpoints. Every answer comes from the HA loop's last snapshot,
 * its PostgreSQL sample refreshed for a GET; a health check never waits on the store. HEAD and
 * OPTIONS answer with the same status code as GET and no body, so a load balancer checking with
 * either routes the same way (mapped explicitly: Spring's default OPTIONS answer would be 200
 * everywhere).
 */
@RestController
public class PatroniStatusController {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HaLoop loop;
  private final ServerVersion serverVersion;

  /** The status document of the last snapshot, serialized once: it changes once per cycle. */
  private record Rendered(AgentSnapshot snapshot, byte[] json) {}

  private final AtomicReference<Rendered> rendered = new AtomicReference<>();

  public PatroniStatusController(HaLoop loop, ServerVersion serverVersion) {
    this.loop = loop;
    this.serverVersion = serverVersion;
  }

  /** Every check of {@link Check}: its paths, and no others, are mapped here. */
  @HealthCheckMapping({
    "/",
    "/primary",
    "/master",
    "/read-write",
    "/leader",
    "/standby-leader",
    "/standby_leader",
    "/replica",
    "/read-only",
    "/synchronous",
    "/sync",
    "/quorum",
    "/asynchronous",
    "/async",
    "/read-only-sync",
    "/read-only-synchronous",
    "/read-only-quorum",
    "/health",
    "/patroni"
  })
  public ResponseEntity<byte[]> healthCheck(
      HttpServletRequest request, HttpMethod method, @RequestParam Map<String, String> q) {
    String pattern = (String) request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
    return check(Check.byPath(pattern), method, q);
  }

  /** The loop completed a cycle recently: within ttl as leader, 2 × ttl otherwise. No body. */
  @HealthCheckMapping("/liveness")
  public ResponseEntity<Void> liveness() {
    boolean live = HealthRules.live(loop.snapshot(), loop.ttlSeconds(), System.nanoTime());
    return ResponseEntity.status(live ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  @HealthCheckMapping("/readiness")
  public ResponseEntity<Void> readiness(@RequestParam Map<String, String> q) {
    Optional<AgentSnapshot> s = loop.snapshot();
    boolean ready = s.isPresent() && HealthRules.ready(s, facts(s.get()), q);
    return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).build();
  }

  HealthRules.Facts facts(AgentSnapshot s) {
    return new HealthRules.Facts(s, loop.config().name(), loop.config().tags());
  }

  /** The answer to a health check: the status code, and for GET the status document. */
  ResponseEntity<byte[]> check(Check check, HttpMethod method, Map<String, String> q) {
    // A GET answers with the status document, which must describe PostgreSQL as it was when the
    // request came (other members compare WAL positions with it in the leader race; a postmaster
    // stopped a moment ago is not "running"), as Patroni queries it for each request; concurrent
    // requests share a sample. HEAD and OPTIONS, what load balancers poll, answer from the
    // snapshot as it is and never wait on PostgreSQL.
    Optional<AgentSnapshot> snapshot =
        method == HttpMethod.GET ? loop.sampledSince(System.nanoTime()) : loop.snapshot();
    if (snapshot.isEmpty()) {
      return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).build();
    }
    HealthRules.Facts facts = facts(snapshot.get());
    HttpStatus status =
        HealthRules.passes(check, facts, q) ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE;
    if (method != HttpMethod.GET) {
      return ResponseEntity.status(status).build();
    }
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(json(facts));
  }

  private byte[] json(HealthRules.Facts facts) {
    Rendered r = rendered.get();
    if (r != null && r.snapshot() == facts.snapshot()) {
      return r.json();
    }
    ObjectNode doc = StatusDocument.render(facts, loop.config(), serverVersion.number());
    if (loop.watchdog().watchdogFailed()) {
      doc.put("watchdog_failed", true);
    }
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    rendered.set(new Rendered(facts.snapshot(), bytes));
    return bytes;
  }
}
