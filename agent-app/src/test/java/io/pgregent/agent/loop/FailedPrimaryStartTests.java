package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.config.Callbacks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A leader whose crashed primary fails to start again (a broken {@code postgresql.auto.conf}) hands
 * the lock back at once, telling {@code on_role_change} it was demoted, rather than retrying until
 * {@code primary_start_timeout} (300 s by default) while nobody can take over. Real agent,
 * PostgreSQL and etcd.
 */
@Timeout(300)
class FailedPrimaryStartTests {

  @AutoClose private final TestCluster cluster = new TestCluster("failstart");

  @Test
  void aPrimaryThatFailsToStartReleasesTheLockAndIsAnnouncedDemoted() throws Exception {
    Path base = cluster.base();
    Path calls = TestMembers.sharedDir(base.resolve("calls"));
    Path callback =
        TestMembers.recordingCallback(base.resolve("callback.sh"), calls.resolve("log"));
    AgentConfig c0 = cluster.member("pg0", Tags.none());
    AgentConfig config =
        c0.withPostgresql(
            c0.postgresql().toBuilder()
                .callbacks(new Callbacks(null, null, null, null, callback.toString()))
                .build());
    ConfigurableApplicationContext pg0 = cluster.run(config);
    HaLoop loop = pg0.getBean(HaLoop.class);
    Dcs dcs = pg0.getBean(Dcs.class);
    TestMembers.awaitLock(loop);

    Path dataDir = c0.postgresql().dataDir();
    Files.writeString(dataDir.resolve("postgresql.auto.conf"), "foo=bar\n");
    long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);

    // Well within primary_start_timeout: the lock is gone and the callback heard "demoted".
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> dcs.read().leader().isEmpty());
    TestMembers.awaitFileContaining(calls.resolve("log"), "on_role_change demoted failstart");
    assertThat(dcs.read().leader().map(l -> l.name())).isEqualTo(Optional.empty());
  }
}
