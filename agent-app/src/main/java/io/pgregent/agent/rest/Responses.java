package io.pgregent.agent.rest;

import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** Patroni's plain answers: text bodies with {@code text/html}, as its handlers write them. */
final class Responses {

  private static final MediaType TEXT_HTML = new MediaType("text", "html", StandardCharsets.UTF_8);

  private Responses() {}

  static ResponseEntity<String> text(HttpStatusCode status, String body) {
    return ResponseEntity.status(status).contentType(TEXT_HTML).body(body);
  }

  static ResponseEntity<String> text(int status, String body) {
    return text(HttpStatus.valueOf(status), body);
  }
}
