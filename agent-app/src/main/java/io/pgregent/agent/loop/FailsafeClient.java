package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.ClusterCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A primary cut off from the store asks every member it knew, over REST ({@code POST /failsafe}),
 * to accept it as the primary. It keeps running only if all of them accept.
 */
final class FailsafeClient {

  private static final Logger log = LoggerFactory.getLogger(FailsafeClient.class);

  private final Supplier<HttpClient> http;
  private final Duration timeout;
  private final String authorization;

  FailsafeClient(Duration timeout, Supplier<HttpClient> http, String username, String password) {
    this.timeout = timeout;
    this.http = http;
    this.authorization =
        username == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Whether the members vouch for us as the primary: only with a published topology that lists us
   * ({@code listed}), then every other member in it must accept ({@code allAccept}); with nobody
   * else in it nobody could take over, so the answer is yes without asking.
   */
  static boolean vouched(
      boolean listed,
      Map<String, String> others,
      java.util.function.Predicate<Map<String, String>> allAccept) {
    if (!listed) {
      return false;
    }
    return others.isEmpty() || allAccept.test(others);
  }

  /**
   * @param members every other member: name to {@code api_url}
   * @param slots the primary's slot positions
   * @param lsns filled with the WAL position each accepting member reports (its {@code lsn} header)
   * @return true if every one of them answered 200
   */
  boolean allAccept(
      String self,
      String connUrl,
      String apiUrl,
      Map<String, String> members,
      Map<String, Long> slots,
      Map<String, Long> lsns) {
    ObjectNode body = ClusterCodec.nodes().objectNode();
    body.put("name", self);
    body.put("conn_url", connUrl);
    body.put("api_url", apiUrl);
    // The slot positions, so that replicas keep advancing their copies while the store is down.
    ObjectNode slotNode = body.putObject("slots");
    slots.forEach(slotNode::put);
    String json = ClusterCodec.json(body);
    List<CompletableFuture<Boolean>> answers = new ArrayList<>();
    for (var m : members.entrySet()) {
      URI uri;
      try {
        uri = URI.create(m.getValue()).resolve("/failsafe");
      } catch (IllegalArgumentException e) {
        answers.add(CompletableFuture.completedFuture(false));
        continue;
      }
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .timeout(timeout)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(json));
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      answers.add(
          http.get()
              .sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
              .thenApply(
                  r -> {
                    if (r.statusCode() != 200) {
                      log.warn(
                          "member {} refused failsafe: {} {}",
                          m.getKey(),
                          r.statusCode(),
                          r.body());
                    }
                    r.headers()
                        .firstValue("lsn")
                        .filter(v -> v.matches("\\d{1,19}"))
                        .ifPresent(v -> lsns.put(m.getKey(), Long.parseLong(v)));
                    return r.statusCode() == 200;
                  })
              .exceptionally(
                  e -> {
                    log.warn("member {} did not answer failsafe: {}", m.getKey(), e.getMessage());
                    return false;
                  }));
    }
    long deadline = System.nanoTime() + timeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
    boolean all = true;
    for (CompletableFuture<Boolean> a : answers) {
      try {
        all &= a.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        a.cancel(true);
        all = false;
      }
    }
    return all;
  }
}
