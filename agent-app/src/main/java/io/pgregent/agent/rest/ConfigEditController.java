package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Edits of the dynamic configuration: PATCH (deep merge, {@code null} deletes, compare-and-set on
 * the key's version) and PUT (replace). The result is read as the agents will read it ({@link
 * DynamicConfig}); a malformed value is a 400 naming its key and writes nothing. Keys Regent does
 * not know are stored as written, as Patroni does.
 */
@RestController
public class ConfigEditController {

  private static final Logger log = LoggerFactory.getLogger(ConfigEditController.class);

  private final Dcs dcs;

  public ConfigEditController(Dcs dcs) {
    this.dcs = dcs;
  }

  @PatchMapping(path = "/config")
  public ResponseEntity<?> patch(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    try {
      ObjectNode request = JsonBodies.object(length, body, false);
      ClusterView view = dcs.read();
      Optional<ClusterConfig> current = view.config();
      if (current.isEmpty() || current.get().version() <= 0) {
        return Responses.text(503, "the configuration is not in the store yet");
      }
      ObjectNode merged = current.get().data().deepCopy();
      boolean changed = patch(merged, request);
      Optional<String> problem = DynamicConfig.parse(merged).firstError();
      if (problem.isPresent()) {
        return Responses.text(400, problem.get());
      }
      if (changed
          && !dcs.compareAndSet(
              ClusterKey.CONFIG, current.get().version(), ClusterCodec.json(merged))) {
        return Responses.text(409, "the configuration changed meanwhile; read it and retry");
      }
      if (changed) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        request.fieldNames().forEachRemaining(keys::add);
        log.info("dynamic configuration changed through the REST API: {}", keys);
      }
      return json(merged);
    } catch (DcsException e) {
      return Responses.text(503, "DCS is not available");
    }
  }

  @PutMapping(path = "/config")
  public ResponseEntity<?> put(
      @RequestHeader(value = "Content-Length", required = false) String length,
      @RequestBody(required = false) byte[] body) {
    try {
      ObjectNode request = JsonBodies.object(length, body, false);
      Optional<String> problem = DynamicConfig.parse(request).firstError();
      if (problem.isPresent()) {
        return Responses.text(400, problem.get());
      }
      ClusterView view = dcs.read();
      if (view.config().map(c -> c.data().equals(request)).orElse(false)) {
        return json(request);
      }
      try {
        dcs.put(ClusterKey.CONFIG, ClusterCodec.json(request));
      } catch (DcsException e) {
        return Responses.text(502, "failed to write the configuration into DCS");
      }
      log.info("dynamic configuration replaced through the REST API");
      return json(request);
    } catch (DcsException e) {
      return Responses.text(503, "DCS is not available");
    }
  }

  /**
   * Patroni's {@code patch_config}: merge objects, {@code null} deletes, else replace. An object
   * under a key the configuration lacks is taken as it is, nulls included: Patroni's own tests
   * write {@code {"slots": {"name": null}}} to declare a physical slot.
   */
  static boolean patch(ObjectNode config, ObjectNode request) {
    boolean changed = false;
    Iterator<Map.Entry<String, JsonNode>> it = request.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      JsonNode value = e.getValue();
      JsonNode existing = config.get(name);
      if (value.isNull()) {
        if (existing != null) {
          config.remove(name);
          changed |= !existing.isNull();
        }
      } else if (value.isObject()) {
        if (existing != null && existing.isObject()) {
          changed |= patch((ObjectNode) existing, (ObjectNode) value);
        } else {
          config.set(name, value.deepCopy());
          changed = true;
        }
      } else if (existing == null || !existing.equals(value)) {
        config.set(name, value);
        changed = true;
      }
    }
    return changed;
  }

  private static ResponseEntity<JsonNode> json(JsonNode body) {
    return ResponseEntity.status(HttpStatus.OK).contentType(MediaType.APPLICATION_JSON).body(body);
  }
}
