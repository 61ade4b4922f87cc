package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.StopMode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL never becomes writable on a lock renewal whose lease has run out: a loop that stalled
 * between renewing the lock and acting on it (found by the simulation, seed 914: a loop stalled 22
 * s after a renewal, then started its crashed primary while another member led) neither promotes
 * nor starts a primary; the next cycle renews first. Real PostgreSQL and etcd; the executor is the
 * agent's, the lease is what the test says.
 */
@Timeout(300)
class StaleRenewalTests {

  @AutoClose private final LeaderAndReplica cluster = new LeaderAndReplica("stale");

  @AutoClose("shutdownNow")
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

  @Test
  void neitherAPromotionNorAPrimaryStartOnARenewalWhoseLeaseRanOut() {
    cluster.start(c -> c);
    // The replica's own loop steps aside (stopping its PostgreSQL); the test drives its executor.
    cluster.replicaLoop().stop();
    cluster.stopLeader();
    PostgresController pg1 = cluster.replicaPostgres();
    Dcs dcs = cluster.dcs();
    pg1.start();
    dcs.renewSession();
    assertThat(dcs.tryAcquire()).isTrue();
    LoopState state = new LoopState();
    state.holdsLock = true;
    LeaseHooks hooks = new LeaseHooks();
    HaExecutor executor =
        new HaExecutor(
            dcs,
            pg1,
            cluster.replicaBean(AgentConfig.class),
            new HttpPeerCalls(cluster.replicaBean(AgentConfig.class)),
            state,
            hooks,
            MachineTasks.INSTANCE,
            Clock.system());

    HaExecutor.Outcome refused =
        executor.execute(new Action.Promote(), Optional.of(dcs.read()), CycleFacts.fresh());
    assertThat(refused.gathering()).isFalse();
    assertThat(inRecovery(pg1)).isTrue();
    // With the lease held, the same call promotes: the refusal above was the lease's.
    hooks.leaseHeld = true;
    executor.execute(new Action.Promote(), Optional.of(dcs.read()), CycleFacts.fresh());
    assertThat(inRecovery(pg1)).isFalse();

    // A primary that went down: not started again on the stale renewal, started on a live one.
    pg1.stop(StopMode.FAST, Duration.ofSeconds(60));
    hooks.leaseHeld = false;
    executor.execute(
        new Action.StartPostgres(false, null), Optional.of(dcs.read()), CycleFacts.fresh());
    assertThat(pg1.isRunning()).isFalse();
    hooks.leaseHeld = true;
    executor.execute(
        new Action.StartPostgres(false, null), Optional.of(dcs.read()), CycleFacts.fresh());
    assertThat(pg1.isRunning()).isTrue();
    assertThat(inRecovery(pg1)).isFalse();
  }

  private static boolean inRecovery(PostgresController pg) {
    return pg.state().server().orElseThrow().inRecovery();
  }
}
