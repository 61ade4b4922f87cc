package io.pgregent.agent.loop;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.core.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes and refreshes the leader lock, renewing our lease first; each success records the time the
 * renewal was sent, which the lease guard counts the deadline from.
 */
final class LockKeeper {

  private static final Logger log = LoggerFactory.getLogger(LockKeeper.class);

  private final Dcs dcs;
  private final LoopState state;
  private final LoopHooks hooks;
  private final Clock clock;

  LockKeeper(Dcs dcs, LoopState state, LoopHooks hooks, Clock clock) {
    this.dcs = dcs;
    this.state = state;
    this.hooks = hooks;
    this.clock = clock;
  }

  /**
   * Refreshes the lock; false when it is no longer ours (or we may not keep it).
   *
   * @throws DcsUnreachableException when the store does not answer
   */
  boolean refresh() {
    try {
      long sent = renewSession();
      if (!hooks.mayLead()) {
        dcs.release();
        state.holdsLock = false;
        return false;
      }
      // Only a lease we still vouch for may bring back a key that vanished (see LeaderLock).
      boolean mayRecreate = hooks.leaseHeld();
      boolean held = dcs.refresh(mayRecreate);
      if (held && mayRecreate && !hooks.leaseHeld()) {
        // The call outlived our deadline (a freeze, a slow store): the store may have brought the
        // key back after our lease lapsed, when another member may have led. Not ours to keep.
        log.warn("the leader lock refresh returned after the lease deadline: releasing the lock");
        dcs.release();
        state.holdsLock = false;
        return false;
      }
      return holds(held, sent);
    } catch (DcsUnreachableException e) {
      state.holdsLock = false;
      throw e;
    } catch (DcsException e) {
      log.warn("could not refresh the leader lock: {}", e.getMessage());
      state.holdsLock = false;
      return false;
    }
  }

  /** Tries to take the lock; true when we hold it now. */
  boolean acquire() {
    if (!hooks.mayLead()) {
      return false;
    }
    try {
      long sent = clock.nanoTime();
      boolean kept = dcs.renewSession();
      state.renewed(sent);
      if (!kept) {
        // Our lease had lapsed, and our member key with it (a stalled loop, a store outage): the
        // leader may have dropped us from its failsafe topology since the view this cycle decided
        // on, and then asks us for nothing. Decided again on a view read after the key is back.
        log.warn(
            "not taking the leader lock: our lease lapsed since the view this cycle decided on");
        return false;
      }
      boolean held = dcs.tryAcquire();
      if (held && !hooks.leaseLiveFrom(sent)) {
        // The call outlived the lease it took (a freeze, a stalled loop, a slow store): the lock
        // may have lapsed meanwhile and another member led. Not ours to keep, nor to write as
        // leader with (the failsafe, sync and status keys).
        log.warn(
            "the leader lock was taken after the lease it renewed ran out: releasing the lock");
        dcs.release();
        state.holdsLock = false;
        return false;
      }
      return holds(held, sent);
    } catch (DcsException e) {
      log.warn("could not acquire the leader lock: {}", e.getMessage());
      return false;
    }
  }

  /**
   * Records whether the lock is ours; held, the lease counts from the renewal sent at {@code sent}.
   */
  private boolean holds(boolean held, long sent) {
    state.holdsLock = held;
    if (held) {
      state.leaseVouched(sent);
    }
    return held;
  }

  /** Takes the lock for a bootstrap that just created the cluster; throws when another has it. */
  void acquireForBootstrap() {
    long sent = renewSession();
    if (!dcs.tryAcquire()) {
      throw new IllegalStateException("another member took the leader lock during bootstrap");
    }
    holds(true, sent);
  }

  /** Renews our lease (session); returns when the renewal was sent, which the lease counts from. */
  private long renewSession() {
    long sent = clock.nanoTime();
    dcs.renewSession();
    state.renewed(sent);
    return sent;
  }
}
