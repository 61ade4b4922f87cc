package io.pgregent.core.dcs;

import io.pgregent.core.time.MonitorSignal;
import io.pgregent.core.time.TaskRunner;
import java.time.Duration;

/**
 * The {@link ChangeSignal} behind each store: watch callbacks bump it, the loop waits on it,
 * through a {@link TaskRunner.Signal} (the machine's monitor, or a simulation's).
 */
public final class ChangeCounter implements ChangeSignal {

  private final TaskRunner.Signal signal;

  public ChangeCounter() {
    this(new MonitorSignal());
  }

  public ChangeCounter(TaskRunner.Signal signal) {
    this.signal = signal;
  }

  /** Records one change and wakes every waiter. */
  public void bump() {
    signal.raise();
  }

  @Override
  public long changeCount() {
    return signal.count();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    long seen = signal.count();
    if (seen > since) {
      return true;
    }
    if (timeout.isNegative() || timeout.isZero()) {
      return false;
    }
    signal.await(seen, timeout.toNanos());
    return signal.count() > since;
  }
}
