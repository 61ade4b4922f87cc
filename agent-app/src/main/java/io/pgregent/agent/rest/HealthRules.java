package io.pgregent.agent.rest;

import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Status;
import io.pgregent.postgres.status.ServerStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Patroni's health-check rules ({@code patroni/api.py} {@code do_GET}, {@code _readiness}), pure
 * functions of the HA loop's snapshot and the request's query. No IO: a health check never waits on
 * PostgreSQL or the store.
 */
public final class HealthRules {

  /** The health-check paths, grouped by the rule they answer with. */
  public enum Check {
    PRIMARY("/", "/primary", "/master", "/read-write"),
    LEADER("/leader"),
    STANDBY_LEADER("/standby-leader", "/standby_leader"),
    REPLICA("/replica"),
    READ_ONLY("/read-only"),
    SYNC("/synchronous", "/sync"),
    QUORUM("/quorum"),
    ASYNC("/asynchronous", "/async"),
    READ_ONLY_SYNC("/read-only-sync", "/read-only-synchronous"),
    READ_ONLY_QUORUM("/read-only-quorum"),
    HEALTH("/health"),
    /** {@code /patroni}: always 200. */
    STATUS("/patroni");

    private static final Map<String, Check> BY_PATH =
        Stream.of(values())
            .flatMap(c -> c.paths.stream().map(p -> Map.entry(p, c)))
            .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));

    private final List<String> paths;

    Check(String... paths) {
      this.paths = List.of(paths);
    }

    /** Its paths (Patroni's aliases answer alike). */
    public List<String> paths() {
      return paths;
    }

    /** The check answering at {@code path}, or null. */
    public static Check byPath(String path) {
      return path == null ? null : BY_PATH.get(path);
    }
  }

  private static final Pattern SIZE = Pattern.compile("^\\s*([+-]?\\d+)\\s*([a-zA-Z]*)\\s*$");

  private HealthRules() {}

  /**
   * What the snapshot says about this member, as Patroni's status document does.
   *
   * @param snapshot the loop's last snapshot
   * @param name this member's name
   * @param tags this member's tags
   */
  public record Facts(AgentSnapshot snapshot, String name, Tags tags) {

    public Optional<ClusterConfig> dynamic() {
      return snapshot.view().flatMap(ClusterView::config);
    }

    /** {@code standby_cluster} is set in the dynamic configuration. */
    public boolean standbyCluster() {
      return dynamic().map(c -> c.settings().isStandbyCluster()).orElse(false);
    }

    /** {@code synchronous_mode}: false, true or quorum. */
    public String synchronousMode() {
      return dynamic()
          .map(c -> c.settings().synchronousMode().name().toLowerCase(java.util.Locale.ROOT))
          .orElse("off");
    }

    private boolean listedInSync() {
      return snapshot
          .view()
          .flatMap(ClusterView::sync)
          .map(s -> s.isSyncStandby(name))
          .orElse(false);
    }

    /** {@code sync_standby} in the status document. */
    public boolean syncStandby() {
      return synchronousMode().equals("on") && listedInSync() && !snapshot.holdsLock();
    }

    /** {@code quorum_standby} in the status document. */
    public boolean quorumStandby() {
      return synchronousMode().equals("quorum") && listedInSync() && !snapshot.holdsLock();
    }

    /** Patroni's role: {@code primary}, {@code replica}, {@code standby_leader}, ... */
    public String role() {
      Optional<ServerStatus> server = snapshot.postgres().server();
      if (server.isPresent() && server.get().inRecovery()) {
        return snapshot.holdsLock() && standbyCluster() ? "standby_leader" : "replica";
      }
      return snapshot.role();
    }

    public boolean running() {
      return snapshot.state().equals("running");
    }

    /** The replayed position, 0 on a primary or when unknown. */
    public long replayedLocation() {
      return standbyLocation(ServerStatus::replayLsn);
    }

    /** The received position, 0 on a primary or when unknown. */
    public long receivedLocation() {
      return standbyLocation(ServerStatus::receiveLsn);
    }

    private long standbyLocation(ToLongFunction<ServerStatus> lsn) {
      return snapshot
          .postgres()
          .server()
          .filter(ServerStatus::inRecovery)
          .map(s -> Math.max(0, lsn.applyAsLong(s)))
          .orElse(0L);
    }

    /** The leader's last known position: the store's {@code status.optime}. */
    public long leaderOptime() {
      return snapshot.view().flatMap(ClusterView::status).map(Status::optime).orElse(0L);
    }

    /** The WAL receiver streams from its upstream. */
    public boolean streaming() {
      return snapshot.postgres().server().map(ServerStatus::streaming).orElse(false);
    }
  }

  /** Whether the check passes (200) or not (503). */
  public static boolean passes(Check check, Facts f, Map<String, String> query) {
    String role = f.role();
    boolean clusterKnown = f.snapshot().view().isPresent();
    boolean leader;
    if (!clusterKnown && f.snapshot().paused()) {
      leader = role.equals("primary") || role.equals("standby_leader");
    } else {
      leader = f.snapshot().holdsLock();
    }
    boolean primary = leader && role.equals("primary");
    boolean standbyLeader = leader && role.equals("standby_leader");
    boolean replica = replica(f, query);
    boolean eitherLeader = primary || standbyLeader;
    return switch (check) {
      case STATUS -> true;
      case PRIMARY -> primary;
      case LEADER -> leader;
      case STANDBY_LEADER -> standbyLeader;
      case REPLICA -> replica;
      case READ_ONLY -> eitherLeader || replica;
      case HEALTH -> f.running();
      case SYNC -> clusterKnown && f.syncStandby() && replica;
      case QUORUM -> clusterKnown && f.quorumStandby() && replica;
      case ASYNC -> clusterKnown && !f.syncStandby() && !f.quorumStandby() && replica;
      case READ_ONLY_SYNC -> eitherLeader || (clusterKnown && f.syncStandby() && replica);
      case READ_ONLY_QUORUM -> eitherLeader || (clusterKnown && f.quorumStandby() && replica);
    };
  }

  /** {@code /replica}: a running replica, load-balanced, not lagging, with the tags asked for. */
  static boolean replica(Facts f, Map<String, String> query) {
    if (f.tags().noloadbalance() || !f.role().equals("replica") || !f.running()) {
      return false;
    }
    OptionalLong maxLag = parseBytes(query.get("lag"));
    if (maxLag.isPresent()) {
      long optime = Math.max(f.leaderOptime(), f.receivedLocation());
      if (optime > 0 && optime > f.replayedLocation() + maxLag.getAsLong()) {
        return false;
      }
    }
    String wantedState = query.get("replication_state");
    if (wantedState != null
        && !wantedState.equals(f.streaming() ? "streaming" : "in archive recovery")) {
      return false;
    }
    return tagsMatch(f.tags(), query);
  }

  /** Every {@code tag_<key>=<value>} filter names a tag this member has, with that value. */
  static boolean tagsMatch(Tags tags, Map<String, String> query) {
    for (Map.Entry<String, String> e : query.entrySet()) {
      if (!e.getKey().startsWith("tag_")) {
        continue;
      }
      Object value = tags.all().get(e.getKey().substring(4));
      if (value == null
          || !String.valueOf(value)
              .toLowerCase(Locale.ROOT)
              .equals(String.valueOf(e.getValue()).toLowerCase(Locale.ROOT))) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code /liveness}: paused, or the loop completed a cycle within ttl (leader) or 2 × ttl.
   *
   * @param snapshot the loop's last snapshot, empty before the first cycle
   */
  public static boolean live(Optional<AgentSnapshot> snapshot, int ttlSeconds, long nowNanos) {
    if (snapshot.isEmpty()) {
      return true;
    }
    AgentSnapshot s = snapshot.get();
    if (s.paused()) {
      return true;
    }
    long budget = ttlSeconds * 1_000_000_000L * (s.holdsLock() ? 1 : 2);
    return nowNanos - s.completedAtNanos() <= budget;
  }

  /**
   * {@code /readiness?lag=&mode=apply|write}: the leader; or a running, streaming replica that sees
   * the store and lags by no more than {@code lag} (default {@code maximum_lag_on_failover}).
   */
  public static boolean ready(Optional<AgentSnapshot> snapshot, Facts f, Map<String, String> q) {
    if (snapshot.isEmpty()) {
      return false;
    }
    if (f.snapshot().holdsLock()) {
      return true;
    }
    if (!f.running() || !f.streaming() || f.snapshot().view().isEmpty()) {
      return false;
    }
    long maxLag =
        parseBytes(q.get("lag"))
            .orElse(
                f.dynamic()
                    .map(ClusterConfig::maximumLagOnFailover)
                    .orElse(ClusterConfig.DEFAULT_MAXIMUM_LAG_ON_FAILOVER));
    long position = "write".equals(q.get("mode")) ? f.receivedLocation() : f.replayedLocation();
    long optime = Math.max(f.leaderOptime(), f.receivedLocation());
    return optime <= position + maxLag;
  }

  /**
   * Patroni's {@code parse_int(value, 'B')}: a number of bytes with an optional unit ({@code B},
   * {@code kB}, {@code MB}, {@code GB}, {@code TB}); anything else is empty (the filter is
   * ignored).
   */
  public static OptionalLong parseBytes(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    Matcher m = SIZE.matcher(value);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    long factor =
        switch (m.group(2)) {
          case "", "B" -> 1L;
          case "kB" -> 1L << 10;
          case "MB" -> 1L << 20;
          case "GB" -> 1L << 30;
          case "TB" -> 1L << 40;
          default -> -1L;
        };
    if (factor < 0) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Math.multiplyExact(Long.parseLong(m.group(1)), factor));
    } catch (ArithmeticException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
