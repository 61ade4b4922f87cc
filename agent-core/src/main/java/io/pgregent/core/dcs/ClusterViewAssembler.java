package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Failsafe;
import io.pgregent.core.cluster.Initialize;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TakenTimeline;
import io.pgregent.core.cluster.TimelineHistory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the raw keys a store returns for one cluster into a {@link ClusterView}. Every store uses
 * it, so that all of them read Patroni's values the same way.
 *
 * <p>A malformed value is read as absent and logged once (per distinct value) with its key; a
 * malformed {@code config} keeps the last good configuration this assembler has read. One instance
 * serves one reader; it is thread-safe.
 */
public final class ClusterViewAssembler {

  private static final Logger log = LoggerFactory.getLogger(ClusterViewAssembler.class);

  private final ClusterPath path;
  private final Map<String, String> warned = new HashMap<>();
  private ClusterConfig lastGoodConfig;

  public ClusterViewAssembler(ClusterPath path) {
    this.path = path;
  }

  public synchronized ClusterView assemble(Collection<RawNode> nodes) {
    Map<String, RawNode> byPath = new HashMap<>();
    for (RawNode n : nodes) {
      byPath.put(n.path(), n);
    }
    List<String> malformed = new ArrayList<>();

    Optional<Initialize> initialize =
        parse(byPath, ClusterKey.INITIALIZE, ClusterCodec::initialize, malformed);
    Optional<ClusterConfig> config =
        parse(byPath, ClusterKey.CONFIG, ClusterCodec::config, malformed);
    if (config.isPresent()) {
      lastGoodConfig = config.get();
    } else if (byPath.containsKey(ClusterKey.CONFIG.path()) && lastGoodConfig != null) {
      config = Optional.of(lastGoodConfig);
    }
    Optional<Leader> leader = parse(byPath, ClusterKey.LEADER, ClusterCodec::leader, malformed);
    Optional<Status> status = parse(byPath, ClusterKey.STATUS, ClusterCodec::status, malformed);
    if (status.isEmpty() && !byPath.containsKey(ClusterKey.STATUS.path())) {
      status = parse(byPath, ClusterKey.OPTIME_LEADER, ClusterCodec::legacyOptime, malformed);
    }
    Optional<TimelineHistory> history =
        parse(byPath, ClusterKey.HISTORY, ClusterCodec::history, malformed);
    Optional<Failover> failover =
        parse(byPath, ClusterKey.FAILOVER, ClusterCodec::failover, malformed);
    Optional<SyncState> sync = parse(byPath, ClusterKey.SYNC, ClusterCodec::sync, malformed);
    Optional<Failsafe> failsafe =
        parse(byPath, ClusterKey.FAILSAFE, ClusterCodec::failsafe, malformed);
    Optional<TakenTimeline> takenTimeline =
        parse(byPath, ClusterKey.TAKEN_TIMELINE, ClusterCodec::takenTimeline, malformed);

    TreeMap<String, Member> members = new TreeMap<>();
    for (RawNode n : byPath.values()) {
      if (!n.path().startsWith(ClusterKey.MEMBERS_DIR)) {
        continue;
      }
      String name = n.path().substring(ClusterKey.MEMBERS_DIR.length());
      if (name.isEmpty() || name.contains("/")) {
        continue;
      }
      try {
        members.put(name, ClusterCodec.member(name, n));
        warned.remove(n.path());
      } catch (MalformedValueException e) {
        malformed(n, e, malformed);
      }
    }
    return new ClusterView(
        initialize,
        config,
        leader,
        members,
        status,
        history,
        failover,
        sync,
        failsafe,
        malformed,
        takenTimeline);
  }

  private <T> Optional<T> parse(
      Map<String, RawNode> byPath,
      ClusterKey key,
      Function<RawNode, T> parser,
      List<String> malformed) {
    RawNode node = byPath.get(key.path());
    if (node == null) {
      warned.remove(key.path());
      return Optional.empty();
    }
    try {
      T value = parser.apply(node);
      warned.remove(key.path());
      return Optional.of(value);
    } catch (MalformedValueException e) {
      malformed(node, e, malformed);
      return Optional.empty();
    }
  }

  private void malformed(RawNode node, MalformedValueException e, List<String> malformed) {
    malformed.add(node.path());
    if (!node.value().equals(warned.put(node.path(), node.value()))) {
      if (node.path().equals(ClusterKey.CONFIG.path())) {
        log.warn(
            "Malformed value in {} ignored, {}: {}",
            path.key(node.path()),
            lastGoodConfig != null
                ? "keeping the configuration of version " + lastGoodConfig.version()
                : "no earlier configuration to keep",
            e.getMessage());
      } else {
        log.warn("Malformed value in {} read as absent: {}", path.key(node.path()), e.getMessage());
      }
    }
  }
}
