package io.pgregent.agent.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Every member's recent decisions, for a console that any member serves: this member's from its own
 * log, the others' from their {@code GET /console/decisions}. A member that does not answer is
 * mapped to null (the console shows it unreachable); one that answers without a console (a Patroni
 * member) to an empty list. Answers are kept for a short while, so that several subscribers or a
 * fast ticker do not multiply the calls.
 */
public final class PeerDecisions {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String self;
  private final DecisionLog own;
  private final Supplier<HttpClient> http;
  private final Duration timeout;
  private final Duration keep;
  private long fetchedAtNanos;
  private Map<String, JsonNode> last = Map.of();

  public PeerDecisions(
      String self, DecisionLog own, Supplier<HttpClient> http, Duration timeout, Duration keep) {
    this.self = self;
    this.own = own;
    this.http = http;
    this.timeout = timeout;
    this.keep = keep;
  }

  /** Each member's lines, by name (null: did not answer). */
  public synchronized Map<String, JsonNode> of(Collection<Member> members) {
    long now = System.nanoTime();
    boolean fresh =
        now - fetchedAtNanos < keep.toNanos()
            && last.keySet()
                .equals(
                    members.stream()
                        .map(Member::name)
                        .collect(java.util.stream.Collectors.toSet()));
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (Member m : members) {
      if (m.name().equals(self)) {
        out.put(m.name(), own.json());
      } else if (fresh) {
        out.put(m.name(), last.get(m.name()));
      } else {
        out.put(m.name(), fetch(m).orElse(null));
      }
    }
    if (!fresh) {
      fetchedAtNanos = now;
    }
    last = out;
    return out;
  }

  private Optional<JsonNode> fetch(Member m) {
    return m.apiUrl()
        .flatMap(PeerDecisions::decisionsUrl)
        .flatMap(url -> getJson(http.get(), url, timeout))
        .map(lines -> lines.isArray() ? lines : ClusterCodec.nodes().arrayNode());
  }

  /**
   * {@code GET url} on a member: its JSON body, a missing node when it answered other than 200, or
   * empty when it did not answer or its body is not JSON.
   */
  static Optional<JsonNode> getJson(HttpClient http, URI url, Duration timeout) {
    try {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        return Optional.of(MissingNode.getInstance());
      }
      return Optional.of(JSON.readTree(r.body()));
    } catch (java.io.IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  static Optional<URI> decisionsUrl(String apiUrl) {
    return memberUrl(apiUrl, "/console/decisions");
  }

  /** {@code path} on the member whose api_url is {@code apiUrl} (Patroni's ends in /patroni). */
  static Optional<URI> memberUrl(String apiUrl, String path) {
    try {
      return Optional.of(URI.create(apiUrl).resolve(path));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
