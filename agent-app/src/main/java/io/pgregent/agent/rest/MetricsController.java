package io.pgregent.agent.rest;

import io.pgregent.agent.loop.HaLoop;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Patroni's {@code GET /metrics}: Prometheus text from the loop's snapshot. */
@RestController
public class MetricsController {

  private static final MediaType TEXT =
      MediaType.parseMediaType("text/plain; version=0.0.4; charset=utf-8");

  private final HaLoop loop;
  private final ServerVersion serverVersion;

  public MetricsController(HaLoop loop, ServerVersion serverVersion) {
    this.loop = loop;
    this.serverVersion = serverVersion;
  }

  @GetMapping(path = "/metrics")
  public ResponseEntity<String> metrics() {
    return ResponseEntity.ok()
        .contentType(TEXT)
        .body(PatroniMetrics.render(loop.snapshot(), loop.config(), serverVersion.number()));
  }
}
