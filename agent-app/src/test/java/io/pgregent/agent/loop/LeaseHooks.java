package io.pgregent.agent.loop;

import io.pgregent.core.config.StandbyCluster;
import io.pgregent.postgres.LocalPostgresState;
import java.time.Duration;
import java.util.Optional;

/** The loop's hooks for tests that drive its parts, with a lease that does or does not hold. */
final class LeaseHooks implements LoopHooks {
  volatile boolean leaseHeld;

  @Override
  public void steppingDown() {}

  @Override
  public void leaseRenewed() {}

  @Override
  public void claimingLock(boolean on) {}

  @Override
  public void promoted(LocalPostgresState pg) {}

  @Override
  public boolean leaseHeld() {
    return leaseHeld;
  }

  @Override
  public boolean leaseLiveFrom(long sentNanos) {
    return leaseHeld;
  }

  @Override
  public int loopWaitSeconds() {
    return 1;
  }

  @Override
  public boolean mayLead() {
    return true;
  }

  @Override
  public Duration primaryStartTimeout() {
    return Duration.ofSeconds(60);
  }

  @Override
  public Optional<StandbyCluster> standbyCluster() {
    return Optional.empty();
  }
}
