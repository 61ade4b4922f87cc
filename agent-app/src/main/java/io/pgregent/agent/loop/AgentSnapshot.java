package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.postgres.LocalPostgresState;
import java.util.Optional;

/**
 * What the HA loop last knew, published after every cycle for the REST API and health checks.
 * Readers never wait on PostgreSQL or the store: they read this.
 *
 * @param postgres the local PostgreSQL as last sampled
 * @param view the cluster as last read, empty when the last read failed
 * @param holdsLock true while this member holds the leader lock (refreshed in the last cycle)
 * @param state Patroni's PostgreSQL state string ({@code running}, {@code stopped}, ...)
 * @param dcsLastSeenEpochSeconds when the store last answered
 * @param paused maintenance mode in force
 * @param message the last decision's status message
 * @param completedAtNanos when the cycle completed (monotonic clock)
 * @param failsafeActive the store is unreachable and every member of the failsafe topology accepted
 *     us as the primary in this cycle
 */
public record AgentSnapshot(
    LocalPostgresState postgres,
    Optional<ClusterView> view,
    boolean holdsLock,
    String state,
    long dcsLastSeenEpochSeconds,
    boolean paused,
    String message,
    long completedAtNanos,
    boolean failsafeActive) {

  public AgentSnapshot(
      LocalPostgresState postgres,
      Optional<ClusterView> view,
      boolean holdsLock,
      String state,
      long dcsLastSeenEpochSeconds,
      boolean paused,
      String message,
      long completedAtNanos) {
    this(
        postgres,
        view,
        holdsLock,
        state,
        dcsLastSeenEpochSeconds,
        paused,
        message,
        completedAtNanos,
        false);
  }

  /** The same, without the leader lock: what is left once the lease may have lapsed. */
  public AgentSnapshot withoutLock() {
    return new AgentSnapshot(
        postgres, view, false, state, dcsLastSeenEpochSeconds, paused, message, completedAtNanos);
  }

  /** Running as a primary (not in recovery). */
  public boolean runningPrimary() {
    return postgres.isHealthy() && !postgres.server().get().inRecovery();
  }

  /** Running as a standby. */
  public boolean runningReplica() {
    return postgres.isHealthy() && postgres.server().get().inRecovery();
  }

  /** Patroni's role name. */
  public String role() {
    if (postgres.server().isPresent()) {
      return postgres.server().get().inRecovery() ? "replica" : "primary";
    }
    return switch (postgres.role()) {
      case PRIMARY -> "primary";
      case REPLICA -> "replica";
      default -> "uninitialized";
    };
  }

  public boolean clusterUnlocked() {
    return view.map(v -> v.leader().isEmpty()).orElse(true);
  }
}
