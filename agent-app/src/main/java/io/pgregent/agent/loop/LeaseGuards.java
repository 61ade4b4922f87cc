package io.pgregent.agent.loop;

import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.watchdog.Watchdog;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.lease.LeaseGuard;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.RunState;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that keeps a primary from outliving its lease: the lease guard inside the agent, and
 * the watchdog and the fence outside it, which hear of every renewal the guard accepts.
 */
final class LeaseGuards {

  private static final Logger log = LoggerFactory.getLogger(LeaseGuards.class);

  private final Dcs dcs;
  private final ConfigInForce config;
  private final LoopState state;
  private final LeaseGuard guard;
  private final Watchdog watchdog;
  private final FenceKeeper fence;
  private final Clock clock;

  LeaseGuards(
      Dcs dcs,
      PostgresPort postgres,
      ConfigInForce config,
      LoopState state,
      TaskRunner runner,
      Clock clock) {
    this.dcs = dcs;
    this.config = config;
    this.state = state;
    this.clock = clock;
    this.watchdog = new Watchdog(config.local().lease().watchdog());
    this.fence = new FenceKeeper(config.local().lease().fence(), postgres, clock);
    this.guard =
        new LeaseGuard(
            clock::nanoTime,
            runner,
            () -> postgres.emergencyStop(Duration.ofSeconds(5)),
            config.local().name());
    guard.addListener(
        new LeaseGuard.Listener() {
          @Override
          public void renewed(Duration remaining) {
            DynamicConfig dynamic = config.dynamic();
            if (watchdog.activate(dynamic.ttl(), dynamic.loopWait())) {
              watchdog.keepalive();
            }
            fence.keepAlive(remaining);
          }

          @Override
          public void cleared() {
            watchdog.disable();
            fence.disarm();
          }
        });
  }

  LeaseGuard guard() {
    return guard;
  }

  Watchdog watchdog() {
    return watchdog;
  }

  /** Starts (or adopts) the fence, if one is configured. */
  void startFence() {
    fence.fence();
  }

  /**
   * Whether this member may take or keep the leader lock as far as the fence and the watchdog go:
   * in {@code required} mode only with a running fence, and a watchdog armed for the ttl in force.
   */
  boolean ready() {
    DynamicConfig dynamic = config.dynamic();
    if (dynamic.pause()) {
      // In pause nothing is enforced, and the watchdog stays disabled.
      return true;
    }
    if (fence.mode() == GuardMode.REQUIRED && fence.fence() == null) {
      log.warn("the fence is not running: not taking or keeping the leader lock");
      return false;
    }
    if (watchdog.mode() != GuardMode.REQUIRED) {
      return true;
    }
    if (!watchdog.activate(dynamic.ttl(), dynamic.loopWait())) {
      log.warn("Watchdog device is not usable");
      return false;
    }
    return true;
  }

  /**
   * Whether a primary restarted by a task may come back writable: it still holds a lease, or the
   * cluster is paused (nothing is enforced then).
   */
  boolean mayStayPrimary() {
    return guard.valid() || config.dynamic().pause();
  }

  /**
   * Hands a renewal to the lease guard, or tells it we vouch for no lease: in pause (nothing is
   * stopped automatically then), or once PostgreSQL is no longer a writable primary and the lock is
   * not ours. A primary that lost its lock keeps its deadline: if the demotion does not happen in
   * time, the guard stops it.
   */
  void guardLease(boolean paused, LocalPostgresState pg) {
    long vouched = state.leaseVouchedAtNanos;
    state.leaseVouchedAtNanos = Long.MIN_VALUE;
    if (paused) {
      guard.clear();
    } else if (vouched != Long.MIN_VALUE && (state.holdsLock || state.failsafeActive)) {
      guard.renewed(vouched, dcs.leaseDuration(), margin());
    } else if (pg != null
        && !state.holdsLock
        && !state.failsafeActive
        && !pg.server().map(s -> !s.inRecovery()).orElse(pg.runState() == RunState.RUNNING)) {
      guard.clear();
    }
  }

  /**
   * Whether a lease renewed at {@code sentNanos} is still one the guard would count as held now: a
   * call that returns later outlived the lease it renewed, and another member may have led since.
   */
  boolean leaseLiveFrom(long sentNanos) {
    return clock.nanoTime() - sentNanos < dcs.leaseDuration().minus(margin()).toNanos();
  }

  /** How long before the lease runs out in the store the guard stops PostgreSQL. */
  private Duration margin() {
    Duration ttl = dcs.timings().ttl();
    return watchdog.isActive()
        ? Duration.ofSeconds(watchdog.settings().safetyMarginSeconds((int) ttl.toSeconds()))
        : LeaseGuard.defaultMargin(ttl);
  }

  /**
   * At shutdown: the guard and the watchdog stand down; the fence exits too unless PostgreSQL still
   * runs (it keeps guarding the lease that PostgreSQL may still hold).
   */
  void close(boolean postgresStopped) {
    guard.close();
    watchdog.close();
    if (postgresStopped) {
      fence.stop();
    }
  }
}
