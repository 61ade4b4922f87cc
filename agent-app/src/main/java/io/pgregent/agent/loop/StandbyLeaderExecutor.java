package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.config.StandbyCluster;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.StopMode;
import io.pgregent.postgres.config.RemotePrimary;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the standby leader's actions: it clones, follows and is demoted towards the remote
 * primary named by {@code standby_cluster}. Slow work runs through the executor's renewing wrapper,
 * so the lock outlives it.
 */
final class StandbyLeaderExecutor {

  private static final Logger log = LoggerFactory.getLogger(StandbyLeaderExecutor.class);
  private static final Duration LONG_TASK = Duration.ofMinutes(30);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final AgentConfig config;
  private final LoopState state;
  private final Supplier<Optional<StandbyCluster>> standby;
  private final BiConsumer<String, Runnable> whileRenewing;
  private final Runnable takeLock;

  StandbyLeaderExecutor(
      Dcs dcs,
      PostgresPort postgres,
      AgentConfig config,
      LoopState state,
      Supplier<Optional<StandbyCluster>> standby,
      BiConsumer<String, Runnable> whileRenewing,
      Runnable takeLock) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.config = config;
    this.state = state;
    this.standby = standby;
    this.whileRenewing = whileRenewing;
    this.takeLock = takeLock;
  }

  /** What PostgreSQL is told about the remote primary of {@code s}. */
  static RemotePrimary remotePrimary(StandbyCluster s) {
    return new RemotePrimary(
        String.join(",", s.hosts()),
        s.port().orElse(0),
        s.primarySlotName().orElse(null),
        s.createReplicaMethods(),
        s.restoreCommand().orElse(null),
        s.archiveCleanupCommand().orElse(null),
        s.recoveryMinApplyDelay().orElse(null));
  }

  private StandbyCluster cluster() {
    return standby.get().orElseThrow(() -> new IllegalStateException("not a standby cluster"));
  }

  private LeaderConnection remote() {
    return remotePrimary(cluster()).connection();
  }

  /** Clones the remote primary, follows it, takes the lock and seeds the store. */
  void bootstrap() {
    StandbyCluster s = cluster();
    try {
      LeaderConnection remote = remotePrimary(s).connection();
      log.info("bootstrapping a standby leader: clone from remote member {}", describe(s));
      postgres.createReplica(remote, LONG_TASK);
      postgres.followLeader(remote);
      state.following = s.source();
      takeLock.run();
      ClusterSeed.seed(dcs, config, state, () -> postgres.controlData().systemIdentifier());
      log.info("bootstrapped standby cluster {} from {}", config.scope(), describe(s));
    } catch (RuntimeException e) {
      throw ClusterSeed.abandon(dcs, state, e);
    }
  }

  /** Follows the remote primary as configured now; starts PostgreSQL if it is down. */
  void follow() {
    StandbyCluster s = cluster();
    LeaderConnection remote = remote();
    whileRenewing.accept("following the remote primary", () -> postgres.followLeader(remote));
    state.following = s.source();
    state.mayHaveDiverged = false;
    log.info("standby leader: following remote member {}", describe(s));
  }

  /**
   * The cluster was demoted: stop cleanly, so standbys streaming from us receive the shutdown
   * checkpoint; put its WAL in the archive; rewind when the remote primary forked off our timeline
   * (pg_rewind says when nothing needs rewinding); come back following it, with the lock.
   */
  void demote() {
    StandbyCluster s = cluster();
    LeaderConnection remote = remote();
    log.info("Demoting self (demote-cluster)");
    whileRenewing.accept(
        "demoting to a standby cluster",
        () -> {
          postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
          try {
            if (!postgres.archiveShutdownCheckpointWal()) {
              log.info("Not archiving latest checkpoint WAL file. Archiving is not configured.");
            }
          } catch (RuntimeException e) {
            log.warn("could not archive the shutdown checkpoint's WAL: {}", e.getMessage());
          }
          if (s.streams() && postgres.usePgRewind()) {
            try {
              log.info("demote-cluster: {}", postgres.rewind(remote, LONG_TASK));
            } catch (RuntimeException e) {
              log.warn("demote-cluster: pg_rewind from {} failed: {}", describe(s), e.getMessage());
            }
          }
          postgres.followLeader(remote);
        });
    state.following = s.source();
    state.mayHaveDiverged = false;
  }

  private static String describe(StandbyCluster s) {
    return s.streams()
        ? String.join(",", s.hosts()) + (s.port().isPresent() ? ":" + s.port().getAsInt() : "")
        : "archive (restore_command)";
  }
}
