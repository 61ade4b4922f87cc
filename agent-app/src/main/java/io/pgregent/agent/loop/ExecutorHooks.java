package io.pgregent.agent.loop;

import io.pgregent.postgres.LocalPostgresState;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The loop's answers to the executor in the middle of an action. */
final class ExecutorHooks implements LoopHooks {

  private static final Logger log = LoggerFactory.getLogger(ExecutorHooks.class);

  private final ConfigInForce config;
  private final LeaseGuards guards;
  private final Snapshots snapshots;
  private final LoopState state;

  ExecutorHooks(ConfigInForce config, LeaseGuards guards, Snapshots snapshots, LoopState state) {
    this.config = config;
    this.guards = guards;
    this.snapshots = snapshots;
    this.state = state;
  }

  @Override
  public void steppingDown() {
    snapshots.steppingDown();
  }

  @Override
  public void leaseRenewed() {
    guards.guardLease(config.dynamic().pause(), null);
  }

  @Override
  public void claimingLock(boolean on) {
    snapshots.claiming(on);
  }

  @Override
  public void promoted(LocalPostgresState pg) {
    snapshots.promoted(
        pg, state.holdsLock, config.dynamic().pause(), state.dcsLastSeenEpochSeconds);
    log.info("PostgreSQL accepts writes: answering as the primary");
  }

  @Override
  public boolean leaseHeld() {
    return guards.mayStayPrimary();
  }

  @Override
  public boolean leaseLiveFrom(long sentNanos) {
    return guards.leaseLiveFrom(sentNanos);
  }

  @Override
  public int loopWaitSeconds() {
    return config.dynamic().loopWait();
  }

  @Override
  public boolean mayLead() {
    return guards.ready();
  }

  @Override
  public Duration primaryStartTimeout() {
    return Duration.ofSeconds(config.dynamic().primaryStartTimeout());
  }

  @Override
  public java.util.Optional<io.pgregent.core.config.StandbyCluster> standbyCluster() {
    return config.dynamic().standby();
  }
}
