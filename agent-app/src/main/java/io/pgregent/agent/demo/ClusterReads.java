package io.pgregent.agent.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The demo cluster as its members' REST APIs show it. */
final class ClusterReads {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClusterReads() {}

  /** One running leader and every other member streaming. */
  static boolean healthy(JsonNode cluster) {
    int leaders = 0;
    int streaming = 0;
    for (JsonNode m : cluster.path("members")) {
      String role = m.path("role").asText();
      if (role.equals("leader") && m.path("state").asText().equals("running")) {
        leaders++;
      } else if (!role.equals("leader") && m.path("state").asText().equals("streaming")) {
        streaming++;
      }
    }
    return leaders == 1 && streaming == DemoCommand.NAMES.size() - 1;
  }

  /**
   * Who is there, in which role and state, on which timeline: what makes the table worth showing.
   */
  static String shape(JsonNode cluster) {
    List<String> parts = new ArrayList<>();
    for (JsonNode m : cluster.path("members")) {
      parts.add(
          m.path("name").asText()
              + "/"
              + m.path("role").asText()
              + "/"
              + m.path("state").asText()
              + "/"
              + m.path("timeline").asText());
    }
    parts.sort(Comparator.naturalOrder());
    return String.join(",", parts) + (cluster.path("pause").asBoolean(false) ? " paused" : "");
  }

  private static Optional<JsonNode> get(DemoMember m, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.restPort + path))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** {@code GET /cluster} from the first member that answers, {@code lastLeader} first. */
  static Optional<JsonNode> cluster(List<DemoMember> members, String lastLeader) {
    List<DemoMember> order = new ArrayList<>(members);
    order.sort(Comparator.comparing(m -> m.name.equals(lastLeader) ? 0 : 1));
    for (DemoMember m : order) {
      Optional<JsonNode> body = get(m, "/cluster");
      if (body.isPresent() && body.get().path("members").isArray()) {
        return body;
      }
    }
    return Optional.empty();
  }

  /** The database system identifier from the first member that tells it, else null. */
  static String systemIdentifier(List<DemoMember> members) {
    for (DemoMember m : members) {
      Optional<String> id =
          get(m, "/patroni")
              .map(j -> j.path("database_system_identifier").asText(""))
              .filter(s -> !s.isEmpty());
      if (id.isPresent()) {
        return id.get();
      }
    }
    return null;
  }
}
