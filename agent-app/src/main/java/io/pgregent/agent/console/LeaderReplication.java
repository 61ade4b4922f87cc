package io.pgregent.agent.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.postgres.status.ReplicationRow;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The standbys' lag in time, as the leader's PostgreSQL measures it ({@code replay_lag} in {@code
 * pg_stat_replication}): read from this member's snapshot when it leads, else asked of the leader's
 * {@code GET /console/replication} and kept for a short while. Empty when the leader does not
 * answer (a Patroni leader has no console).
 */
public final class LeaderReplication {

  private final HaLoop loop;
  private final Supplier<HttpClient> http;
  private final Duration timeout;
  private final Duration keep;
  private long fetchedAtNanos;
  private String fetchedFrom;
  private Map<String, Long> last = Map.of();

  public LeaderReplication(
      HaLoop loop, Supplier<HttpClient> http, Duration timeout, Duration keep) {
    this.loop = loop;
    this.http = http;
    this.timeout = timeout;
    this.keep = keep;
  }

  /** This member's {@code replay_lag} per standby ({@code application_name}), in milliseconds. */
  static Map<String, Long> local(HaLoop loop) {
    Map<String, Long> out = new LinkedHashMap<>();
    loop.snapshot()
        .flatMap(s -> s.postgres().server())
        .ifPresent(
            st -> {
              for (ReplicationRow r : st.replication()) {
                if (r.applicationName() != null && r.replayLagMillis() >= 0) {
                  out.put(r.applicationName(), r.replayLagMillis());
                }
              }
            });
    return out;
  }

  static ObjectNode json(Map<String, Long> lags) {
    ObjectNode out = ClusterCodec.nodes().objectNode();
    lags.forEach((name, ms) -> out.putObject(name).put("replay_lag_ms", ms));
    return out;
  }

  /** The leader's measures, by standby name. */
  public synchronized Map<String, Long> replayLagMillis() {
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    if (snapshot.map(AgentSnapshot::holdsLock).orElse(false)) {
      return local(loop);
    }
    Optional<Member> leader =
        snapshot.flatMap(AgentSnapshot::view).flatMap(ClusterView::leaderMember);
    if (leader.isEmpty() || leader.get().apiUrl().isEmpty()) {
      return Map.of();
    }
    String from = leader.get().name();
    long now = System.nanoTime();
    if (from.equals(fetchedFrom) && now - fetchedAtNanos < keep.toNanos()) {
      return last;
    }
    fetchedFrom = from;
    fetchedAtNanos = now;
    last = fetch(leader.get().apiUrl().get());
    return last;
  }

  private Map<String, Long> fetch(String apiUrl) {
    Optional<URI> url = PeerDecisions.memberUrl(apiUrl, "/console/replication");
    if (url.isEmpty()) {
      return Map.of();
    }
    try {
      Map<String, Long> out = new LinkedHashMap<>();
      PeerDecisions.getJson(http.get(), url.get(), timeout)
          .ifPresent(
              doc ->
                  doc.properties()
                      .forEach(
                          e -> {
                            JsonNode ms = e.getValue().path("replay_lag_ms");
                            if (ms.canConvertToLong()) {
                              out.put(e.getKey(), ms.asLong());
                            }
                          }));
      return out;
    } catch (RuntimeException e) {
      return Map.of();
    }
  }
}
