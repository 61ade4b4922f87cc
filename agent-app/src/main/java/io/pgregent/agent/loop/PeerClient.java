package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.PriorityTags;
import io.pgregent.core.ha.PeerStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks other members' REST APIs for their status during the leader race: {@code GET <api_url>}, all
 * in parallel, each bounded (2 s, no retries, as Patroni does).
 */
public final class PeerClient {

  private static final Logger log = LoggerFactory.getLogger(PeerClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Supplier<HttpClient> http;
  private final Duration timeout;

  public PeerClient(Duration timeout) {
    this(timeout, HttpClient.newBuilder().connectTimeout(timeout).build());
  }

  /** With the client for member-to-member calls (see {@link MemberHttp}). */
  public PeerClient(Duration timeout, HttpClient http) {
    this(timeout, () -> http);
  }

  /** With the client for member-to-member calls, fetched on each call (see {@link MemberHttp}). */
  public PeerClient(Duration timeout, Supplier<HttpClient> http) {
    this.timeout = timeout;
    this.http = http;
  }

  /** The answers of {@code members}; a member that does not answer in time is unreachable. */
  public Map<String, PeerStatus> query(Collection<Member> members) {
    Map<String, CompletableFuture<PeerStatus>> pending = new HashMap<>();
    for (Member m : members) {
      if (m.apiUrl().isEmpty()) {
        pending.put(m.name(), CompletableFuture.completedFuture(PeerStatus.unreachable(m.name())));
        continue;
      }
      HttpRequest request;
      try {
        request =
            HttpRequest.newBuilder(URI.create(m.apiUrl().get())).timeout(timeout).GET().build();
      } catch (IllegalArgumentException e) {
        pending.put(m.name(), CompletableFuture.completedFuture(PeerStatus.unreachable(m.name())));
        continue;
      }
      pending.put(
          m.name(),
          http.get()
              .sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenApply(r -> parse(m.name(), r.body()))
              .exceptionally(
                  e -> {
                    log.info(
                        "member {} did not answer at {}: {}",
                        m.name(),
                        m.apiUrl().get(),
                        e.getMessage());
                    return PeerStatus.unreachable(m.name());
                  }));
    }
    Map<String, PeerStatus> answers = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
    for (var e : pending.entrySet()) {
      try {
        answers.put(
            e.getKey(),
            e.getValue().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (Exception ex) {
        if (ex instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        e.getValue().cancel(true);
        answers.put(e.getKey(), PeerStatus.unreachable(e.getKey()));
      }
    }
    return answers;
  }

  /** One member's {@code /patroni} document, empty when it does not answer in time. */
  public java.util.Optional<JsonNode> document(Member m) {
    if (m.apiUrl().isEmpty()) {
      return java.util.Optional.empty();
    }
    try {
      HttpResponse<String> r =
          http.get()
              .send(
                  HttpRequest.newBuilder(URI.create(m.apiUrl().get()))
                      .timeout(timeout)
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return java.util.Optional.of(JSON.readTree(r.body()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    } catch (Exception e) {
      return java.util.Optional.empty();
    }
  }

  /**
   * Whether a REST API answers at the member's {@code api_url} (its {@code /liveness}, any status
   * code): an agent is running there.
   */
  public boolean answers(Member m) {
    if (m.apiUrl().isEmpty()) {
      return false;
    }
    try {
      URI api = URI.create(m.apiUrl().get());
      URI liveness = new URI(api.getScheme(), api.getAuthority(), "/liveness", null, null);
      http.get()
          .send(
              HttpRequest.newBuilder(liveness).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.discarding());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * Calls {@code /liveness} at {@code apiUrl} once, in the background, answer ignored: the first
   * TLS handshake of a fresh JVM (client and server side) can take longer than a race's 2 s, and a
   * member that looks unreachable then may lose a race it should have won.
   */
  public void warmUp(String apiUrl) {
    try {
      URI api = URI.create(apiUrl);
      URI liveness = new URI(api.getScheme(), api.getAuthority(), "/liveness", null, null);
      http.get()
          .sendAsync(
              HttpRequest.newBuilder(liveness).timeout(Duration.ofSeconds(30)).GET().build(),
              HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (r, e) -> {
                if (e != null) {
                  log.debug("warming up the member-to-member client failed: {}", e.getMessage());
                }
              });
    } catch (Exception e) {
      log.debug("warming up the member-to-member client failed: {}", e.getMessage());
    }
  }

  /** Reads the fields the leader race uses from a {@code /patroni} document. */
  public static PeerStatus parse(String name, String body) {
    try {
      JsonNode json = JSON.readTree(body);
      JsonNode xlog = json.path("xlog");
      String role = json.path("role").asText("");
      boolean primary = xlog.has("location") || role.equals("primary") || role.equals("master");
      long wal =
          xlog.has("location")
              ? xlog.path("location").asLong()
              : Math.max(
                  xlog.path("received_location").asLong(0),
                  xlog.path("replayed_location").asLong(0));
      JsonNode tags = json.path("tags");
      boolean nofailover =
          PriorityTags.excluded(tags, PriorityTags.NOFAILOVER, PriorityTags.FAILOVER_PRIORITY);
      int priority =
          PriorityTags.priority(tags, PriorityTags.NOFAILOVER, PriorityTags.FAILOVER_PRIORITY);
      boolean running = json.path("state").asText("").equals("running");
      return new PeerStatus(
          name,
          running,
          primary && running,
          wal,
          json.path("timeline").asLong(0),
          nofailover,
          priority);
    } catch (Exception e) {
      return PeerStatus.unreachable(name);
    }
  }
}
