package io.pgregent.core.ha;

import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

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

  public static CycleFacts fresh() {
    return new Builder().build();
  }

  public CycleFacts withLockRefreshed(boolean value) {
    return edit(b -> b.lockRefreshed = Optional.of(value));
  }

  public CycleFacts withLockAcquired(boolean value) {
    return edit(b -> b.lockAcquired = Optional.of(value));
  }

  public CycleFacts withInitializeWon(boolean value) {
    return edit(b -> b.initializeWon = Optional.of(value));
  }

  public CycleFacts withPeers(Map<String, PeerStatus> value) {
    return edit(b -> b.peers = Optional.of(Map.copyOf(value)));
  }

  public CycleFacts withFailsafeAccepted(boolean value) {
    return edit(b -> b.failsafeAccepted = Optional.of(value));
  }

  public CycleFacts withViewReread() {
    return edit(b -> b.viewReread = true);
  }

  public CycleFacts withHistoryRepaired() {
    return edit(b -> b.historyRepaired = true);
  }

  public CycleFacts withPrimaryStartFailed() {
    return edit(b -> b.primaryStartFailed = true);
  }

  private CycleFacts edit(Consumer<Builder> change) {
    Builder b = new Builder(this);
    change.accept(b);
    return b.build();
  }

  /** A copy to change one fact of: the record's components, each listed once. */
  private static final class Builder {
    Optional<Boolean> lockRefreshed = Optional.empty();
    Optional<Boolean> lockAcquired = Optional.empty();
    Optional<Boolean> initializeWon = Optional.empty();
    Optional<Map<String, PeerStatus>> peers = Optional.empty();
    Optional<Boolean> failsafeAccepted = Optional.empty();
    boolean viewReread;
    boolean historyRepaired;
    boolean primaryStartFailed;

    Builder() {}

    Builder(CycleFacts f) {
      lockRefreshed = f.lockRefreshed;
      lockAcquired = f.lockAcquired;
      initializeWon = f.initializeWon;
      peers = f.peers;
      failsafeAccepted = f.failsafeAccepted;
      viewReread = f.viewReread;
      historyRepaired = f.historyRepaired;
      primaryStartFailed = f.primaryStartFailed;
    }

    CycleFacts build() {
      return new CycleFacts(
          lockRefreshed,
          lockAcquired,
          initializeWon,
          peers,
          failsafeAccepted,
          viewReread,
          historyRepaired,
          primaryStartFailed);
    }
  }
}
