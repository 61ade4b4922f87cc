package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.postgres.config.PostgresSettings;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With {@code remove_data_directory_on_rewind_failure}, a pg_rewind that cannot work (the source is
 * another cluster) is followed by a fresh clone of the leader.
 */
@Timeout(180)
class RewindFailureRecloneTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static PostgresController leader;
  static PostgresController stray;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-reclone");
    leader = cluster.controller(cluster.node("reclone", "leader").build());
    PostgresSettings straySettings =
        cluster
            .node("reclone", "stray")
            .usePgRewind(true)
            .removeDataDirectoryOnRewindFailure(true)
            .build();
    stray = cluster.controller(straySettings);
    leader.bootstrap();
    stray.bootstrap();
    stray.stop(StopMode.FAST, LONG);
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void aFailedRewindReclonesWhenConfiguredTo() {
    String leaderSysid = leader.state().systemIdentifier().orElseThrow();
    assertThat(stray.controlData().systemIdentifier()).isNotEqualTo(leaderSysid);

    RewindOutcome outcome = stray.rewind(TestNodes.leaderOf(leader), LONG);

    assertThat(outcome).isEqualTo(RewindOutcome.RECLONED);
    assertThat(stray.controlData().systemIdentifier()).isEqualTo(leaderSysid);
    stray.start();
    LocalPostgresState state = stray.state();
    assertThat(state.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(state.systemIdentifier()).contains(leaderSysid);
  }
}
