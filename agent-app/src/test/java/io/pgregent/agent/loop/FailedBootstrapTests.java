package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.config.BootstrapSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A bootstrap that fails half-way (its {@code post_bootstrap} exits non-zero) leaves nothing
 * behind: PostgreSQL stopped, the data directory emptied, the {@code initialize} key and the lock
 * released for another member, and the agent stops for good (the launcher exits non-zero) instead
 * of adopting the half-made cluster. Real agent, PostgreSQL and etcd.
 */
@Timeout(300)
class FailedBootstrapTests {

  @AutoClose private final TestCluster cluster = new TestCluster("bootfail");

  @Test
  void aFailedBootstrapRemovesWhatItCreatedReleasesInitializeAndStops() throws Exception {
    AgentConfig c = cluster.member("pg0", Tags.none());
    AgentConfig failing =
        c.withPostgresql(
            c.postgresql().toBuilder()
                .bootstrap(new BootstrapSettings(List.of(), List.of(), "/bin/false", null))
                .build());
    ConfigurableApplicationContext agent = cluster.run(failing);
    HaLoop loop = agent.getBean(HaLoop.class);
    AtomicInteger exitCode = new AtomicInteger(-1);
    loop.onFatal(exitCode::set);

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> exitCode.get() == 1);

    assertThat(loop.fatal()).contains("Failed to bootstrap cluster");
    ClusterView view = agent.getBean(Dcs.class).read();
    assertThat(view.initialize()).isEmpty();
    assertThat(view.leader()).isEmpty();
    PostgresController pg = agent.getBean(PostgresController.class);
    assertThat(pg.state().runState()).isEqualTo(RunState.STOPPED);
    try (Stream<Path> left = Files.list(failing.postgresql().dataDir())) {
      assertThat(left.toList()).as("left in the data directory").isEmpty();
    }
  }
}
