package io.pgregent.agent.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Request bodies as Patroni reads them ({@code _read_json_content}): a JSON object or a 4xx. */
final class JsonBodies {

  /** Larger bodies are refused: no Patroni request comes near it. */
  static final int MAX_BODY = 1 << 20;

  private static final ObjectMapper JSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(64)
                          .maxStringLength(MAX_BODY)
                          .maxNumberLength(100)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();

  private JsonBodies() {}

  /** A rejected request: the status and the message to answer with. */
  static final class Rejected extends RuntimeException {
    final int status;

    Rejected(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /**
   * The body as a JSON object.
   *
   * @param contentLength the request's Content-Length header, null when absent
   * @param optional an absent or empty body reads as {@code {}} (else 411 / 400)
   */
  static ObjectNode object(String contentLength, byte[] body, boolean optional) {
    if (contentLength == null && (body == null || body.length == 0)) {
      if (optional) {
        return JSON.createObjectNode();
      }
      throw new Rejected(411, "Length Required");
    }
    if (body == null || body.length == 0) {
      if (optional) {
        return JSON.createObjectNode();
      }
      throw new Rejected(400, "empty request body");
    }
    if (body.length > MAX_BODY) {
      throw new Rejected(413, "request body too large");
    }
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (IOException | RuntimeException e) {
      throw new Rejected(400, "malformed JSON");
    }
    if (node == null || !node.isObject()) {
      throw new Rejected(400, "the body must be a JSON object");
    }
    if (node.isEmpty() && !optional) {
      throw new Rejected(400, "empty JSON object");
    }
    return (ObjectNode) node;
  }

  /**
   * A boolean as Patroni reads one from a request: JSON true/false, or the strings and numbers its
   * clients send for them ({@code "True"}, {@code "yes"}, {@code "on"}, {@code 1}, …); empty for
   * anything else.
   */
  static java.util.Optional<Boolean> bool(JsonNode v) {
    if (v == null) {
      return java.util.Optional.empty();
    }
    if (v.isBoolean()) {
      return java.util.Optional.of(v.booleanValue());
    }
    if (v.isIntegralNumber() && (v.asLong() == 0 || v.asLong() == 1)) {
      return java.util.Optional.of(v.asLong() == 1);
    }
    if (v.isTextual()) {
      return switch (v.asText().trim().toLowerCase(java.util.Locale.ROOT)) {
        case "true", "yes", "on", "1" -> java.util.Optional.of(true);
        case "false", "no", "off", "0" -> java.util.Optional.of(false);
        default -> java.util.Optional.empty();
      };
    }
    return java.util.Optional.empty();
  }

  static ObjectMapper mapper() {
    return JSON;
  }
}
