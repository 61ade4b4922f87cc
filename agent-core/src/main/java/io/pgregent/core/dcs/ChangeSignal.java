package io.pgregent.core.dcs;

import java.time.Duration;

/**
 * Wakes the HA loop when the cluster's keys change. Driven by the store's watch; after a lost
 * connection it signals once the watch has resumed, so the loop re-reads. A signal is a hint:
 * always {@link ClusterReader#read()} afterwards.
 */
public interface ChangeSignal {

  /** A counter that grows with every change seen. */
  long changeCount();

  /**
   * Waits until {@link #changeCount()} exceeds {@code since} or the timeout passes.
   *
   * @return true if a change was seen
   */
  boolean awaitChange(long since, Duration timeout) throws InterruptedException;
}
