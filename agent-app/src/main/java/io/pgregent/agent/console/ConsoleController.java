package io.pgregent.agent.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.console.ConsoleConfiguration.ConsoleHttp;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.core.cluster.Member;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The console: a page served by every member ({@code GET /console}), the cluster's state as
 * server-sent events ({@code /console/events}) or once ({@code /console/state}), and this member's
 * recent decisions for the other members' consoles ({@code /console/decisions}). Reading is open as
 * every GET of the REST API is; acting goes through the REST API's own endpoints, so that the
 * unsafe-method guard (allowlist, client certificate, {@code restapi.authentication}) decides.
 * Restart and reinitialize act on one member: {@code POST /console/members/NAME/ACTION} passes the
 * request, its credentials included, to that member's own endpoint, once this member's guard let it
 * through.
 */
@RestController
public class ConsoleController {

  /** The page's files, and their types. */
  private static final Map<String, MediaType> ASSETS =
      Map.of(
          "console.js", MediaType.parseMediaType("text/javascript; charset=utf-8"),
          "actions.js", MediaType.parseMediaType("text/javascript; charset=utf-8"),
          "console.css", MediaType.parseMediaType("text/css; charset=utf-8"),
          "index.html", MediaType.parseMediaType("text/html; charset=utf-8"));

  /** The member actions the console passes on. */
  static final Set<String> MEMBER_ACTIONS = Set.of("restart", "reinitialize");

  private static final Duration ACTION_TIMEOUT = Duration.ofMinutes(5);

  private final HaLoop loop;
  private final ConsoleEvents events;
  private final DecisionLog decisions;
  private final PeerDecisions peers;
  private final ConsoleHttp http;
  private final LeaderReplication lags;

  public ConsoleController(
      HaLoop loop,
      ConsoleEvents events,
      DecisionLog decisions,
      PeerDecisions peers,
      ConsoleHttp http,
      LeaderReplication lags) {
    this.lags = lags;
    this.loop = loop;
    this.events = events;
    this.decisions = decisions;
    this.peers = peers;
    this.http = http;
  }

  /** Relative, so that the page works behind a proxy that serves the API under a prefix. */
  @GetMapping(path = "/console")
  public ResponseEntity<Void> page() {
    return ResponseEntity.status(HttpStatus.FOUND).header("Location", "console/").build();
  }

  @GetMapping(path = "/console/")
  public ResponseEntity<byte[]> index() throws IOException {
    return asset("index.html");
  }

  @GetMapping(path = "/console/{file:.+\\.(?:js|css)}")
  public ResponseEntity<byte[]> asset(@PathVariable String file) throws IOException {
    MediaType type = ASSETS.get(file);
    if (type == null) {
      return ResponseEntity.notFound().build();
    }
    try (InputStream in = ConsoleController.class.getResourceAsStream("/console/" + file)) {
      if (in == null) {
        return ResponseEntity.notFound().build();
      }
      return ResponseEntity.ok()
          .contentType(type)
          .cacheControl(CacheControl.noCache())
          .body(in.readAllBytes());
    }
  }

  @GetMapping(path = "/console/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events() {
    return events.subscribe();
  }

  @GetMapping(path = "/console/state")
  public ResponseEntity<ObjectNode> state() {
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(ConsoleConfiguration.state(loop, peers, lags));
  }

  /** This member's {@code replay_lag} per standby, for the consoles other members serve. */
  @GetMapping(path = "/console/replication")
  public ResponseEntity<ObjectNode> replication() {
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(LeaderReplication.json(LeaderReplication.local(loop)));
  }

  @GetMapping(path = "/console/decisions")
  public ResponseEntity<?> decisions() {
    return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(decisions.json());
  }

  /** Restart or reinitialize {@code name}, through that member's own REST endpoint. */
  @PostMapping(path = "/console/members/{name}/{action}")
  public ResponseEntity<String> memberAction(
      @PathVariable String name,
      @PathVariable String action,
      @RequestHeader(value = "Authorization", required = false) String authorization,
      @RequestBody(required = false) byte[] body) {
    if (!MEMBER_ACTIONS.contains(action)) {
      return text(404, "unknown action: " + action + " (restart or reinitialize)");
    }
    Optional<Member> member =
        loop.snapshot().flatMap(AgentSnapshot::view).flatMap(v -> v.member(name));
    if (member.isEmpty()) {
      return text(404, "no member " + name + " in the cluster");
    }
    Optional<URI> url =
        member.get().apiUrl().flatMap(u -> PeerDecisions.memberUrl(u, "/" + action));
    if (url.isEmpty()) {
      return text(503, "member " + name + " has not published its REST API address");
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url.get())
            .timeout(ACTION_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(
                body == null || body.length == 0
                    ? HttpRequest.BodyPublishers.ofString("{}")
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    try {
      HttpResponse<String> answer =
          http.client().get().send(request.build(), HttpResponse.BodyHandlers.ofString());
      return text(answer.statusCode(), answer.body());
    } catch (IOException e) {
      return text(502, "member " + name + " did not answer: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return text(503, "interrupted while waiting for " + name);
    }
  }

  private static ResponseEntity<String> text(int status, String body) {
    return ResponseEntity.status(status)
        .contentType(MediaType.parseMediaType("text/plain; charset=utf-8"))
        .body(body);
  }
}
