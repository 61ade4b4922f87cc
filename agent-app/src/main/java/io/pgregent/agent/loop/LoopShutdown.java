package io.pgregent.agent.loop;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.StopMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** On SIGTERM: stop PostgreSQL and, as leader, release the lock so failover starts at once. */
final class LoopShutdown {

  private static final Logger log = LoggerFactory.getLogger(LoopShutdown.class);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final ConfigInForce config;
  private final LeaseGuards guards;
  private final Snapshots snapshots;
  private final HaExecutor executor;

  LoopShutdown(
      Dcs dcs,
      PostgresPort postgres,
      ConfigInForce config,
      LeaseGuards guards,
      Snapshots snapshots,
      HaExecutor executor) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = config;
    this.guards = guards;
    this.snapshots = snapshots;
    this.executor = executor;
  }

  /** Runs once the loop thread has ended. */
  void run() {
    if (config.dynamic().pause()) {
      // Maintenance mode: the operator owns PostgreSQL; it keeps running, and so does its lock
      // until the lease expires. The guards stand down.
      log.info("Leader key is not deleted and Postgresql is not stopped due paused state");
      guards.guard().clear();
      executor.close();
      guards.close(true);
      return;
    }
    try {
      if (postgres.isRunning()) {
        postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
      }
    } catch (RuntimeException e) {
      log.warn("stopping PostgreSQL at shutdown failed: {}", e.getMessage());
    }
    if (!postgres.isRunning()) {
      guards.guard().clear();
    }
    snapshots.shuttingDown();
    try {
      // Release only once PostgreSQL is down, whatever the loop last knew of the lock: release()
      // deletes the key only if it holds our name.
      if (postgres.isRunning()) {
        log.error(
            "PostgreSQL is still running at shutdown: keeping the leader lock until it expires");
      } else if (dcs.release()) {
        log.info("released the leader lock at shutdown");
      }
      dcs.deleteMember();
    } catch (DcsException e) {
      log.warn("could not clean up the store at shutdown: {}", e.getMessage());
    }
    executor.close();
    guards.close(!postgres.isRunning());
  }
}
