package io.pgregent.agent.loop;

import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.postgres.config.ReplicaMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A new member is in the store before it copies the leader's data, as with Patroni: the leader
 * creates its replication slot meanwhile, so the new standby streams as soon as it starts (without
 * the slot it would retry, and miss what a leader stopping at that moment still sends).
 */
@Timeout(300)
class NewMemberSlotTests {

  @AutoClose private static TestCluster cluster;
  private static Path base;
  private static Path release;
  private static AgentConfig leaderConfig;
  private static ConfigurableApplicationContext leader;
  private static ConfigurableApplicationContext joining;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster("joining");
    base = cluster.base();
    Path flags = TestMembers.sharedDir(base.resolve("flags"));
    release = flags.resolve("release");
    leaderConfig = cluster.member("pg0", Tags.none());
    leader = cluster.run(leaderConfig);
  }

  @Test
  void theLeaderCreatesTheSlotOfAMemberStillCopyingItsData() throws Exception {
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> cluster.etcd().get("/service/joining/leader").isPresent());
    // A replica method that holds the copy until the test lets it go, then gives way to
    // basebackup.
    Path hold =
        TestMembers.script(
            base.resolve("hold.sh"),
            "while [ ! -e " + release + " ]; do sleep 0.2; done\nexit 1\n");
    AgentConfig c = cluster.member("pg1", Tags.none());
    AgentConfig held =
        c.withPostgresql(
            c.postgresql().toBuilder()
                .createReplicaMethods(List.of("hold", "basebackup"))
                .replicaMethods(Map.of("hold", ReplicaMethod.of("hold", hold.toString())))
                .build());
    joining = cluster.run(held);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> cluster.etcd().get("/service/joining/members/pg1").isPresent());
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> slots().contains("pg1"));
    } finally {
      Files.writeString(release, "");
    }
  }

  private static List<String> slots() {
    return TestMembers.query(
        leaderConfig.postgresql().connectAddress(), "SELECT slot_name FROM pg_replication_slots");
  }
}
