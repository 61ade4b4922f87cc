package io.pgregent.agent.loop;

import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.postgres.config.ReplicaMethod;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
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

  private static EtcdServer etcd;
  private static Path base;
  private static Path release;
  private static AgentConfig leaderConfig;
  private static ConfigurableApplicationContext leader;
  private static ConfigurableApplicationContext joining;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-new-member");
    Path flags = TestMembers.sharedDir(base.resolve("flags"));
    release = flags.resolve("release");
    leaderConfig =
        TestMembers.member(base, "joining", "pg0", "127.0.0.1:" + etcd.clientPort(), Tags.none());
    leader = RegentApplication.run(leaderConfig);
  }

  @AfterAll
  static void stop() {
    TestMembers.stopAll(etcd, base, Arrays.asList(joining, leader));
  }

  @Test
  void theLeaderCreatesTheSlotOfAMemberStillCopyingItsData() throws Exception {
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> etcd.get("/service/joining/leader").isPresent());
    // A replica method that holds the copy until the test lets it go, then gives way to
    // basebackup.
    Path hold =
        TestMembers.script(
            base.resolve("hold.sh"),
            "while [ ! -e " + release + " ]; do sleep 0.2; done\nexit 1\n");
    AgentConfig c =
        TestMembers.member(base, "joining", "pg1", "127.0.0.1:" + etcd.clientPort(), Tags.none());
    AgentConfig held =
        c.withPostgresql(
            c.postgresql().toBuilder()
                .createReplicaMethods(List.of("hold", "basebackup"))
                .replicaMethods(Map.of("hold", ReplicaMethod.of("hold", hold.toString())))
                .build());
    joining = RegentApplication.run(held);
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> etcd.get("/service/joining/members/pg1").isPresent());
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> slots().contains("pg1"));
    } finally {
      Files.writeString(release, "");
    }
  }

  private static List<String> slots() {
    try (var conn =
            java.sql.DriverManager.getConnection(
                "jdbc:postgresql://"
                    + leaderConfig.postgresql().connectAddress()
                    + "/postgres?connectTimeout=3&socketTimeout=5",
                "postgres",
                "su-secret");
        var st = conn.createStatement();
        var rs = st.executeQuery("SELECT slot_name FROM pg_replication_slots")) {
      List<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      return names;
    } catch (Exception e) {
      return List.of();
    }
  }
}
