package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one decision depends on.
 *
 * @param view the cluster as read from the store this cycle, empty when the store was unreachable
 * @param local the local PostgreSQL
 * @param cycle what earlier actions of this cycle found out
 * @param settings configuration in force
 * @param memory what the agent remembers across cycles
 * @param nowNanos the monotonic clock at the start of the decision
 * @param epochMillis the wall clock at the start of the decision, for scheduled requests only
 */
public record HaInput(
    Optional<ClusterView> view,
    LocalState local,
    CycleFacts cycle,
    HaSettings settings,
    AgentMemory memory,
    long nowNanos,
    long epochMillis) {

  public HaInput {
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(cycle, "cycle");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(memory, "memory");
  }
}
