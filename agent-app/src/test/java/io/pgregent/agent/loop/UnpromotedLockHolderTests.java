package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.PostgresController;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A primary that finds another member holding the lock steps down, but joins that member only once
 * it runs as the primary: joining may rewind our data onto the holder's, and a holder that never
 * promotes (it may hand the lock back) would leave no copy of what only our WAL holds. Real
 * PostgreSQL and etcd; pg1 holds the lock as a standby whose agent is stopped, as a member frozen
 * between taking the lock and promoting would.
 */
@Timeout(300)
class UnpromotedLockHolderTests {

  private static final String SCOPE = "unpromoted";

  @AutoClose private final LeaderAndReplica cluster = new LeaderAndReplica(SCOPE);

  @Test
  void aDemotedPrimaryWaitsForTheLockHolderToPromoteThenJoinsIt() {
    cluster.start(c -> c);
    String memberKey = "/service/" + SCOPE + "/members/pg1";
    String replicaMember = cluster.etcd().get(memberKey).orElseThrow();
    assertThat(replicaMember).containsPattern("\"role\"\\s*:\\s*\"replica\"");
    cluster.replicaLoop().stop();
    PostgresController pg1 = cluster.replicaPostgres();
    pg1.start();
    // pg1 "takes" the lock and publishes itself, still a standby: it has not promoted.
    cluster.etcd().put(memberKey, replicaMember);
    cluster.etcd().put("/service/" + SCOPE + "/leader", "pg1");

    HaLoop pg0 = cluster.leaderLoop();
    TestMembers.awaitSnapshot(
        pg0, s -> s.message().contains("to run as the primary before rejoining it"));
    // It keeps waiting, its PostgreSQL stopped with its own WAL, while pg1 stays a standby.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !cluster.leaderPostgres().isRunning() && pg1.isRunning());
    assertThat(pg1.state().server().orElseThrow().inRecovery()).isTrue();

    // pg1 promotes and says so in its member key: pg0 now joins it as its standby.
    pg1.promote(Duration.ofSeconds(60));
    cluster
        .etcd()
        .put(
            memberKey,
            replicaMember.replaceFirst("\"role\"\\s*:\\s*\"replica\"", "\"role\": \"primary\""));
    TestMembers.awaitStreaming(pg0);
    assertThat(pg0.snapshot().orElseThrow().postgres().server().orElseThrow().inRecovery())
        .isTrue();
  }
}
