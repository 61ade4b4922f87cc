package io.pgregent.agent.loop;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsUnreachableException;
import java.util.function.LongSupplier;
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
  private final LongSupplier nanos;

  LockKeeper(Dcs dcs, LoopState state, LoopHooks hooks, LongSupplier nanos) {
    this.dcs = dcs;
    this.state = state;
    this.hooks = hooks;
    this.nanos = nanos;
  }

  /**
   * Refreshes the lock; false when it is no longer ours (or we may not keep it).
   *
   * @throws DcsUnreachableException when the store does not answer
   */
  boolean refresh() {
    long sent = nanos.getAsLong();
    try {
      dcs.renewSession();
      state.renewed(sent);
      if (!hooks.mayLead()) {
        dcs.release();
        state.holdsLock = false;
        return false;
      }
      boolean held = dcs.refresh();
      state.holdsLock = held;
      if (held) {
        state.leaseVouched(sent);
      }
      return held;
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
    long sent = nanos.getAsLong();
    try {
      dcs.renewSession();
      state.renewed(sent);
      boolean won = dcs.tryAcquire();
      state.holdsLock = won;
      if (won) {
        state.leaseVouched(sent);
      }
      return won;
    } catch (DcsException e) {
      log.warn("could not acquire the leader lock: {}", e.getMessage());
      return false;
    }
  }

  /** Takes the lock for a bootstrap that just created the cluster; throws when another has it. */
  void acquireForBootstrap() {
    long sent = nanos.getAsLong();
    dcs.renewSession();
    state.renewed(sent);
    if (!dcs.tryAcquire()) {
      throw new IllegalStateException("another member took the leader lock during bootstrap");
    }
    state.holdsLock = true;
    state.leaseVouched(sent);
  }
}
