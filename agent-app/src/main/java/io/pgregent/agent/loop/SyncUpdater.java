package io.pgregent.agent.loop;

import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.ha.Action;
import io.pgregent.postgres.PostgresPort;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Synchronous replication: the {@code sync} key and {@code synchronous_standby_names}. */
final class SyncUpdater {

  private static final Logger log = LoggerFactory.getLogger(SyncUpdater.class);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final LoopState state;

  SyncUpdater(Dcs dcs, PostgresPort postgres, LoopState state) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.state = state;
  }

  void write(Action.WriteSyncState a) {
    if (dcs.compareAndSet(ClusterKey.SYNC, a.state().version(), ClusterCodec.encode(a.state()))) {
      log.info(
          "synchronous replication state: leader {}, standbys {}, quorum {}",
          a.state().leader(),
          a.state().syncStandbys(),
          a.state().quorum());
    } else {
      log.info("the sync key changed meanwhile: deciding again");
    }
  }

  void delete(Action.DeleteSyncState a) {
    dcs.compareAndDelete(ClusterKey.SYNC, a.expectedVersion());
  }

  void setStandbyNames(Action.SetSyncStandbyNames a) {
    long mark;
    try {
      mark = postgres.setSynchronousStandbyNames(a.value(), Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      // No standby is confirmed against a mark that may predate the value in force.
      state.syncMark = Long.MAX_VALUE;
      throw e;
    }
    state.syncMark = mark;
    log.info(
        "synchronous_standby_names is now {}",
        a.value().map(v -> "'" + v + "'").orElse("the configuration's"));
  }
}
