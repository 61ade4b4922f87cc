package io.pgregent.core.dcs;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Whom a store client serves: the cluster's keys, the member it writes as, the timings it starts
 * with, and optionally a scheduler for its background checks (left running by the client).
 *
 * @param path the cluster's keys (namespace and scope)
 * @param member the member's name
 * @param timings ttl and retry_timeout in force until the dynamic configuration says otherwise
 * @param scheduler runs the client's background checks; empty for a thread of its own
 */
public record DcsTarget(
    ClusterPath path,
    String member,
    DcsTimings timings,
    Optional<ScheduledExecutorService> scheduler) {

  public DcsTarget {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(timings, "timings");
    scheduler = scheduler == null ? Optional.empty() : scheduler;
  }

  public DcsTarget(ClusterPath path, String member, DcsTimings timings) {
    this(path, member, timings, Optional.empty());
  }

  /**
   * The target the top-level keys describe ({@code scope}, {@code namespace}, {@code name}, {@code
   * bootstrap.dcs.*}), as {@link DcsSections#identity} reads them.
   *
   * @throws IllegalArgumentException naming the key when one is missing or invalid
   */
  public static DcsTarget of(Function<String, String> property) {
    DcsSections.Identity id = DcsSections.identity(property);
    return new DcsTarget(id.path(), id.member(), id.timings());
  }

  /** The same target with another retry_timeout, fitted to the ttl as {@link Timings} fits it. */
  public DcsTarget withRetryTimeout(long retryTimeoutSeconds) {
    // The fitted retry_timeout depends on ttl alone (loop_wait gives way first), so any
    // loop_wait at its minimum gives the same value the loop will use.
    Timings fitted =
        Timings.adjust(timings.ttl().toSeconds(), Timings.MIN_LOOP_WAIT, retryTimeoutSeconds);
    return new DcsTarget(
        path, member, new DcsTimings(timings.ttl(), fitted.dcsTimings().retryTimeout()), scheduler);
  }

  /** The same target whose client runs its background checks on {@code scheduler}. */
  public DcsTarget withScheduler(ScheduledExecutorService scheduler) {
    return new DcsTarget(path, member, timings, Optional.of(scheduler));
  }
}
