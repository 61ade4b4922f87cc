package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's side of creating a cluster, shared by a new primary and a new standby leader: seed
 * the keys once the data directory exists, or give the creation back when it failed.
 */
final class ClusterSeed {

  private static final Logger log = LoggerFactory.getLogger(ClusterSeed.class);

  private ClusterSeed() {}

  /** Writes the bootstrap configuration and the system identifier (returned); the lock is held. */
  static String seed(Dcs dcs, AgentConfig config, LoopState state, Supplier<String> sysid) {
    dcs.compareAndSet(ClusterKey.CONFIG, 0, ClusterCodec.json(config.bootstrapDcs()));
    String id = sysid.get();
    long version = dcs.read().initialize().map(i -> i.version()).orElse(0L);
    dcs.compareAndSet(ClusterKey.INITIALIZE, version, id);
    state.memory = state.memory.withBootstrapping(false);
    return id;
  }

  /**
   * As Patroni: give the cluster's creation back to the other members and stop; retrying the same
   * bootstrap every cycle would only fail again. Returns {@code e} for the caller to rethrow.
   */
  static RuntimeException abandon(Dcs dcs, LoopState state, RuntimeException e) {
    state.memory = state.memory.withBootstrapping(false);
    state.fatal = "Failed to bootstrap cluster";
    state.halted = true;
    try {
      log.info("removing initialize key after failed attempt to bootstrap the cluster");
      dcs.read()
          .initialize()
          .filter(i -> i.completed().isEmpty())
          .ifPresent(i -> dcs.compareAndDelete(ClusterKey.INITIALIZE, i.version()));
      if (state.holdsLock) {
        dcs.release();
        state.holdsLock = false;
      }
    } catch (DcsException cleanup) {
      e.addSuppressed(cleanup);
    }
    return e;
  }
}
