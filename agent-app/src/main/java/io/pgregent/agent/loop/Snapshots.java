package io.pgregent.agent.loop;

import io.pgregent.core.lease.LeaseGuard;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresPort;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the REST API and health checks read of the loop: the last published snapshot, never one that
 * says we hold the lock past the lease deadline, and a fresh PostgreSQL sample on request.
 */
final class Snapshots {

  private final PostgresPort postgres;
  private final LeaseGuard guard;
  private final Clock clock;
  private final AtomicReference<AgentSnapshot> snapshot = new AtomicReference<>();
  private final AtomicReference<AgentSnapshot[]> lapsed = new AtomicReference<>();
  private final Object sampleLock = new Object();
  private volatile long sampledAtNanos;

  private final java.util.function.Supplier<Optional<String>> task;

  // A bootstrap's write of the leader key is under way: others see the key before we learn that we
  // hold it, so a reader waits for the outcome rather than answer from the snapshot before it.
  private static final long CLAIM_WAIT_NANOS = Duration.ofSeconds(2).toNanos();
  private volatile boolean claiming;
  private final TaskRunner.Signal claimSettled;

  Snapshots(
      PostgresPort postgres,
      LeaseGuard guard,
      Clock clock,
      java.util.function.Supplier<Optional<String>> task,
      TaskRunner.Signal claimSettled) {
    this.task = task;
    this.postgres = postgres;
    this.guard = guard;
    this.clock = clock;
    this.claimSettled = claimSettled;
  }

  /**
   * A bootstrap starts ({@code true}) or ends its write of the leader key, with the snapshot and
   * the lease guard updated after it succeeded.
   */
  void claiming(boolean on) {
    claiming = on;
    if (!on) {
      claimSettled.raise();
    }
  }

  /** Waits (at most {@link #CLAIM_WAIT_NANOS}) for a bootstrap's leader key write to settle. */
  private void awaitClaim() {
    if (!claiming) {
      return;
    }
    long end = clock.nanoTime() + CLAIM_WAIT_NANOS;
    try {
      while (true) {
        long seen = claimSettled.count();
        long left = end - clock.nanoTime();
        if (!claiming || left <= 0) {
          return;
        }
        claimSettled.await(seen, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last published snapshot as published, null before the first. */
  AgentSnapshot last() {
    return snapshot.get();
  }

  /** Publishes the loop's snapshot, whose PostgreSQL sample began at {@code sampledAt}. */
  void publish(AgentSnapshot s, long sampledAt) {
    sampledAtNanos = sampledAt;
    snapshot.set(s);
  }

  /** Replaces the snapshot without a new PostgreSQL sample. */
  void replace(AgentSnapshot s) {
    snapshot.set(s);
  }

  /**
   * The last published snapshot, empty before the first cycle completed. Once the lease deadline
   * passed without a renewal, it no longer says we hold the lock, even while the loop is stuck:
   * write-routing health checks must not outlive the lease.
   */
  Optional<AgentSnapshot> current() {
    awaitClaim();
    return currentNow();
  }

  /** As {@link #current()}, without waiting for a bootstrap's leader key write. */
  Optional<AgentSnapshot> currentNow() {
    return leased(snapshot.get());
  }

  private Optional<AgentSnapshot> leased(AgentSnapshot s) {
    if (s == null || !s.holdsLock() || s.paused() || guard.valid()) {
      return Optional.ofNullable(s);
    }
    AgentSnapshot[] known = lapsed.get();
    if (known != null && known[0] == s) {
      return Optional.of(known[1]);
    }
    AgentSnapshot without = s.withoutLock();
    lapsed.set(new AgentSnapshot[] {s, without});
    return Optional.of(without);
  }

  /** As {@link HaLoop#freshSnapshot(Duration)}. */
  Optional<AgentSnapshot> fresh(Duration maxAge) {
    return sampledSince(clock.nanoTime() - maxAge.toNanos());
  }

  /** As {@link HaLoop#sampledSince(long)}. */
  Optional<AgentSnapshot> sampledSince(long sinceNanos) {
    awaitClaim();
    AgentSnapshot s = snapshot.get();
    if (s == null || sampledAtNanos - sinceNanos >= 0) {
      return leased(s);
    }
    synchronized (sampleLock) {
      s = snapshot.get();
      if (sampledAtNanos - sinceNanos >= 0) {
        return leased(s);
      }
      long at = clock.nanoTime();
      LocalPostgresState pg;
      try {
        pg = postgres.state();
      } catch (RuntimeException e) {
        return leased(s);
      }
      AgentSnapshot fresh =
          new AgentSnapshot(
              pg,
              s.view(),
              s.holdsLock(),
              s.state().equals("stopping")
                  ? s.state()
                  : LocalStates.publishedState(pg, s.paused(), task.get()),
              s.dcsLastSeenEpochSeconds(),
              s.paused(),
              s.message(),
              s.completedAtNanos(),
              s.failsafeActive());
      // The loop may have published meanwhile: its snapshot wins.
      if (snapshot.compareAndSet(s, fresh)) {
        sampledAtNanos = at;
        return leased(fresh);
      }
      return leased(snapshot.get());
    }
  }

  /**
   * A promoted PostgreSQL accepts writes, as {@code pg} (the sample that showed it) says: health
   * checks say "primary" from now on. They still need the lock and a lease the guard vouches for.
   */
  void promoted(LocalPostgresState pg, boolean holdsLock, boolean paused, long dcsLastSeen) {
    AgentSnapshot s = snapshot.get();
    snapshot.set(
        new AgentSnapshot(
            pg,
            s == null ? Optional.empty() : s.view(),
            holdsLock,
            LocalStates.publishedState(pg, paused, task.get()),
            dcsLastSeen,
            s != null && s.paused(),
            "promoted self to leader",
            clock.nanoTime()));
  }

  /** Before a switchover stops PostgreSQL: peers and health checks must no longer see a primary. */
  void steppingDown() {
    AgentSnapshot s = snapshot.get();
    if (s != null) {
      snapshot.set(
          new AgentSnapshot(
              s.postgres(),
              s.view(),
              false,
              "stopping",
              s.dcsLastSeenEpochSeconds(),
              s.paused(),
              "manual failover: demoting myself",
              clock.nanoTime()));
    }
  }

  /**
   * At shutdown: peers racing for the lock ask our REST API, which must no longer say "primary".
   */
  void shuttingDown() {
    current()
        .ifPresent(
            s ->
                snapshot.set(
                    new AgentSnapshot(
                        postgres.state(),
                        s.view(),
                        false,
                        "stopped",
                        s.dcsLastSeenEpochSeconds(),
                        s.paused(),
                        "shutting down",
                        clock.nanoTime())));
  }
}
