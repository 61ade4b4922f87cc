package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.ha.Reason;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A member whose promotion fails ({@code pre_promote} exits non-zero) hands the leader lock back
 * and keeps out of the race for a ttl, rather than holding the lock and retrying every cycle:
 * another member could never take over. Real agents, PostgreSQL and etcd.
 */
@Timeout(300)
class FailedPromotionTests {

  private EtcdServer etcd;
  private Path base;
  private ConfigurableApplicationContext pg0;
  private ConfigurableApplicationContext pg1;

  @AfterEach
  void stop() {
    TestMembers.stopAll(etcd, base, Arrays.asList(pg1, pg0));
  }

  @Test
  void aMemberWhosePrePromoteFailsReleasesTheLockAndBacksOff() {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-promote");
    String hosts = "127.0.0.1:" + etcd.clientPort();
    pg0 = RegentApplication.run(TestMembers.member(base, "promote", "pg0", hosts, Tags.none()));
    TestMembers.awaitLock(pg0.getBean(HaLoop.class));
    AgentConfig c1 = TestMembers.member(base, "promote", "pg1", hosts, Tags.none());
    AgentConfig failing =
        c1.withPostgresql(c1.postgresql().toBuilder().prePromote("/bin/false").build());
    pg1 = RegentApplication.run(failing);
    HaLoop loop1 = pg1.getBean(HaLoop.class);
    Dcs dcs = pg1.getBean(Dcs.class);
    TestMembers.awaitStreaming(loop1);

    // The leader's agent stops: pg1 is the only candidate, takes the lock, and fails to promote.
    pg0.close();
    pg0 = null;
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
