package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.ha.Reason;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member whose promotion fails ({@code pre_promote} exits non-zero) hands the leader lock back
 * and keeps out of the race for a ttl, rather than holding the lock and retrying every cycle:
 * another member could never take over. Real agents, PostgreSQL and etcd.
 */
@Timeout(300)
class FailedPromotionTests {

  @AutoClose private final LeaderAndReplica cluster = new LeaderAndReplica("promote");

  @Test
  void aMemberWhosePrePromoteFailsReleasesTheLockAndBacksOff() {
    cluster.start(
        c1 -> c1.withPostgresql(c1.postgresql().toBuilder().prePromote("/bin/false").build()));
    HaLoop loop1 = cluster.replicaLoop();
    Dcs dcs = cluster.dcs();

    // The leader's agent stops: pg1 is the only candidate, takes the lock, and fails to promote.
    cluster.stopLeader();
    String backoff = Reason.PROMOTION_BACKOFF.template();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> loop1.snapshot().map(s -> s.message().equals(backoff)).orElse(false));
    // It gave the lock back and is still a standby; it did not take the lock again at once.
    assertThat(dcs.read().leader().map(l -> l.name())).isNotEqualTo(Optional.of("pg1"));
    assertThat(loop1.snapshot().flatMap(s -> s.postgres().server()).map(s -> s.inRecovery()).get())
        .isTrue();
  }
}
