package io.pgregent.core.ha;

import java.util.OptionalLong;

/**
 * What the agent remembers across cycles, updated by the executor from the outcome of actions.
 *
 * @param bootstrapping we won the initialize race and are creating the cluster
 * @param primaryDownSinceNanos when our primary was first seen down while we held the lock
 * @param wasLeader we held the lock at the end of the last cycle that could read the store
 * @param failsafeHeartbeatNanos when a primary in failsafe mode last told us it is alive
 */
public record AgentMemory(
    boolean bootstrapping,
    OptionalLong primaryDownSinceNanos,
    boolean wasLeader,
    OptionalLong failsafeHeartbeatNanos) {

  public static AgentMemory initial() {
    return new AgentMemory(false, OptionalLong.empty(), false, OptionalLong.empty());
  }

  public AgentMemory withBootstrapping(boolean value) {
    return new AgentMemory(value, primaryDownSinceNanos, wasLeader, failsafeHeartbeatNanos);
  }

  public AgentMemory withPrimaryDownSince(OptionalLong value) {
    return new AgentMemory(bootstrapping, value, wasLeader, failsafeHeartbeatNanos);
  }

  public AgentMemory withWasLeader(boolean value) {
    return new AgentMemory(bootstrapping, primaryDownSinceNanos, value, failsafeHeartbeatNanos);
  }

  public AgentMemory withFailsafeHeartbeat(OptionalLong value) {
    return new AgentMemory(bootstrapping, primaryDownSinceNanos, wasLeader, value);
  }
}
