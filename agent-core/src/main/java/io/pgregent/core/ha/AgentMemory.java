package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What the agent remembers across cycles, updated by the executor from the outcome of actions.
 *
 * @param bootstrapping we won the initialize race and are creating the cluster
 * @param primaryDownSinceNanos when our primary was first seen down while we held the lock
 * @param wasLeader we held the lock at the end of the last cycle that could read the store
 * @param failsafeHeartbeatNanos when a primary in failsafe mode last told us it is alive
 * @param membersSeen the members of recent views: a leader's member key vanishes with its lease,
 *     yet the leader race must still ask it whether it runs as a primary
 * @param promotionFailedNanos when our last promotion (pre_promote or the promotion itself) failed
 * @param steppedDown we stopped our primary for a switchover and have not started it again: it
 *     comes back as a standby of the new leader, in maintenance mode too
 * @param startedNanos when this agent started: in failsafe mode a restarted agent has forgotten the
 *     heartbeats it accepted before, so it keeps out of the race as if it had just accepted one
 */
public record AgentMemory(
    boolean bootstrapping,
    OptionalLong primaryDownSinceNanos,
    boolean wasLeader,
    OptionalLong failsafeHeartbeatNanos,
    Map<String, Seen> membersSeen,
    OptionalLong promotionFailedNanos,
    boolean steppedDown,
    OptionalLong startedNanos) {

  public AgentMemory withSteppedDown(boolean value) {
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        wasLeader,
        failsafeHeartbeatNanos,
        membersSeen,
        promotionFailedNanos,
        value,
        startedNanos);
  }

  /** A member's REST API as last seen in a view, and when. */
  public record Seen(String apiUrl, long atNanos) {}

  public AgentMemory {
    membersSeen = Map.copyOf(membersSeen);
  }

  public static AgentMemory initial() {
    return new AgentMemory(
        false,
        OptionalLong.empty(),
        false,
        OptionalLong.empty(),
        Map.of(),
        OptionalLong.empty(),
        false,
        OptionalLong.empty());
  }

  public AgentMemory withBootstrapping(boolean value) {
    return new AgentMemory(
        value,
        primaryDownSinceNanos,
        wasLeader,
        failsafeHeartbeatNanos,
        membersSeen,
        promotionFailedNanos,
        steppedDown,
        startedNanos);
  }

  public AgentMemory withPrimaryDownSince(OptionalLong value) {
    return new AgentMemory(
        bootstrapping,
        value,
        wasLeader,
        failsafeHeartbeatNanos,
        membersSeen,
        promotionFailedNanos,
        steppedDown,
        startedNanos);
  }

  public AgentMemory withWasLeader(boolean value) {
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        value,
        failsafeHeartbeatNanos,
        membersSeen,
        promotionFailedNanos,
        steppedDown,
        startedNanos);
  }

  /** This agent started at {@code nanos} (its monotonic clock). */
  public AgentMemory withStarted(long nanos) {
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        wasLeader,
        failsafeHeartbeatNanos,
        membersSeen,
        promotionFailedNanos,
        steppedDown,
        OptionalLong.of(nanos));
  }

  public AgentMemory withFailsafeHeartbeat(OptionalLong value) {
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        wasLeader,
        value,
        membersSeen,
        promotionFailedNanos,
        steppedDown,
        startedNanos);
  }

  public AgentMemory withPromotionFailed(OptionalLong value) {
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        wasLeader,
        failsafeHeartbeatNanos,
        membersSeen,
        value,
        steppedDown,
        startedNanos);
  }

  /**
   * Remembers every member of {@code view} that publishes a REST API as seen at {@code nowNanos},
   * and forgets those not seen for longer than {@code keepNanos}.
   */
  public AgentMemory rememberMembers(ClusterView view, long nowNanos, long keepNanos) {
    Map<String, Seen> seen = new TreeMap<>();
    membersSeen.forEach(
        (name, s) -> {
          if (nowNanos - s.atNanos() <= keepNanos) {
            seen.put(name, s);
          }
        });
    view.members()
        .values()
        .forEach(m -> m.apiUrl().ifPresent(url -> seen.put(m.name(), new Seen(url, nowNanos))));
    return new AgentMemory(
        bootstrapping,
        primaryDownSinceNanos,
        wasLeader,
        failsafeHeartbeatNanos,
        seen,
        promotionFailedNanos,
        steppedDown,
        startedNanos);
  }
}
