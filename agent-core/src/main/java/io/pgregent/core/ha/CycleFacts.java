package io.pgregent.core.ha;

import java.util.Map;
import java.util.Optional;

/**
 * What the current cycle has learnt from the actions already executed in it. A fresh cycle knows
 * nothing; each action's outcome is recorded so that the next decision of the same cycle builds on
 * it.
 *
 * @param lockRefreshed outcome of {@link Action.RefreshLock}
 * @param lockAcquired outcome of {@link Action.AcquireLock}
 * @param initializeWon outcome of {@link Action.RaceInitialize}
 * @param peers answers of {@link Action.QueryPeers}, by member name
 * @param failsafeAccepted outcome of {@link Action.QueryFailsafe}: every member accepted
 * @param viewReread the view was read again by {@link Action.ReadView}
 * @param historyRepaired {@link Action.RepairHistory} ran (whatever its outcome: once a cycle)
 * @param primaryStartFailed starting our primary (we hold the lock) failed in this cycle
 */
public record CycleFacts(
    Optional<Boolean> lockRefreshed,
    Optional<Boolean> lockAcquired,
    Optional<Boolean> initializeWon,
    Optional<Map<String, PeerStatus>> peers,
    Optional<Boolean> failsafeAccepted,
    boolean viewReread,
    boolean historyRepaired,
    boolean primaryStartFailed) {

  public CycleFacts(
      Optional<Boolean> lockRefreshed,
      Optional<Boolean> lockAcquired,
      Optional<Boolean> initializeWon,
      Optional<Map<String, PeerStatus>> peers,
      Optional<Boolean> failsafeAccepted,
      boolean viewReread,
      boolean historyRepaired) {
    this(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        peers,
        failsafeAccepted,
        viewReread,
        historyRepaired,
        false);
  }

  public static CycleFacts fresh() {
    return new CycleFacts(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        false,
        false);
  }

  public CycleFacts withLockRefreshed(boolean value) {
    return new CycleFacts(
        Optional.of(value),
        lockAcquired,
        initializeWon,
        peers,
        failsafeAccepted,
        viewReread,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withLockAcquired(boolean value) {
    return new CycleFacts(
        lockRefreshed,
        Optional.of(value),
        initializeWon,
        peers,
        failsafeAccepted,
        viewReread,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withInitializeWon(boolean value) {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        Optional.of(value),
        peers,
        failsafeAccepted,
        viewReread,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withPeers(Map<String, PeerStatus> value) {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        Optional.of(Map.copyOf(value)),
        failsafeAccepted,
        viewReread,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withFailsafeAccepted(boolean value) {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        peers,
        Optional.of(value),
        viewReread,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withViewReread() {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        peers,
        failsafeAccepted,
        true,
        historyRepaired,
        primaryStartFailed);
  }

  public CycleFacts withHistoryRepaired() {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        peers,
        failsafeAccepted,
        viewReread,
        true,
        primaryStartFailed);
  }

  public CycleFacts withPrimaryStartFailed() {
    return new CycleFacts(
        lockRefreshed,
        lockAcquired,
        initializeWon,
        peers,
        failsafeAccepted,
        viewReread,
        historyRepaired,
        true);
  }
}
