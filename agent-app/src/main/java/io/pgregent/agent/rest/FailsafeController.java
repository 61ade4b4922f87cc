package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.FailsafeHeartbeats;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.core.cluster.Failsafe;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Patroni's DCS failsafe endpoints. A primary cut off from the store posts here to every member; a
 * member that is not itself the leader accepts, and then keeps out of the leader race for ttl.
 */
@RestController
public class FailsafeController {

  private final HaLoop loop;
  private final FailsafeHeartbeats heartbeats;

  public FailsafeController(HaLoop loop, FailsafeHeartbeats heartbeats) {
    this.loop = loop;
    this.heartbeats = heartbeats;
  }

  @GetMapping(path = "/failsafe", produces = MediaType.APPLICATION_JSON_VALUE)
  public ResponseEntity<Map<String, String>> topology() {
    if (!loop.failsafeMode()) {
      return ResponseEntity.status(HttpStatus.BAD_GATEWAY).build();
    }
    Map<String, String> members =
        loop.snapshot()
            .flatMap(AgentSnapshot::view)
            .flatMap(v -> v.failsafe())
            .map(Failsafe::members)
            .orElse(Map.of());
    return ResponseEntity.ok(members);
  }

  @PostMapping(path = "/failsafe")
  public ResponseEntity<String> accept(@RequestBody(required = false) JsonNode body) {
    if (!loop.failsafeMode()) {
      return ResponseEntity.status(HttpStatus.BAD_GATEWAY).body("Failsafe mode is not enabled");
    }
    if (body == null || !body.isObject() || !body.path("name").isTextual()) {
      return ResponseEntity.badRequest().body("expected a JSON object with the primary's name");
    }
    java.util.Map<String, Long> slots = new java.util.TreeMap<>();
    body.path("slots")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().canConvertToLong()) {
                slots.put(e.getKey(), e.getValue().asLong());
              }
            });
    FailsafeHeartbeats.Answer answer = heartbeats.answer(loop.snapshot(), System.nanoTime(), slots);
    ResponseEntity.BodyBuilder response = ResponseEntity.status(answer.status());
    answer.lsn().ifPresent(lsn -> response.header("lsn", Long.toString(lsn)));
    return response.body(answer.body());
  }
}
