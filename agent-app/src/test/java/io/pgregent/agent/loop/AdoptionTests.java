package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.StopMode;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * An existing primary/standby pair whose data directories are already initialised, and a store that
 * knows no cluster: the primary's agent, started first, adopts the cluster as it is.
 */
@Timeout(300)
class AdoptionTests {

  @Test
  void anExistingPrimaryAndStandbyAreAdoptedAsTheyAre() throws Exception {
    Path base = PostgresTestEnvironment.newBaseDir("regent-adopt");
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    ConfigurableApplicationContext primaryAgent = null;
    ConfigurableApplicationContext standbyAgent = null;
    try (EtcdServer etcd = EtcdServer.start()) {
      String etcdAddress = "127.0.0.1:" + etcd.clientPort();
      AgentConfig pg0 = TestMembers.member(base, "adopt", "pg0", etcdAddress, Tags.none());
      AgentConfig pg1 = TestMembers.member(base, "adopt", "pg1", etcdAddress, Tags.none());
      String systemIdentifier;
      // The pair as an operator built it before Regent.
      try (PostgresController primary = new PostgresController(pg0.postgresql(), scheduler);
          PostgresController standby = new PostgresController(pg1.postgresql(), scheduler)) {
        primary.configure(
            ConfigInForce.postgresConfig(DynamicConfig.parse(TestMembers.bootstrapDcs()).config()));
        standby.configure(
            ConfigInForce.postgresConfig(DynamicConfig.parse(TestMembers.bootstrapDcs()).config()));
        primary.bootstrap();
        systemIdentifier = primary.state().systemIdentifier().orElseThrow();
        try (Connection c = connect(pg0);
            Statement st = c.createStatement()) {
          st.execute("CREATE TABLE precious (id int)");
          st.execute("INSERT INTO precious SELECT generate_series(1, 42)");
          st.execute("SELECT pg_create_physical_replication_slot('pg1')");
        }
        int port = Integer.parseInt(pg0.postgresql().connectAddress().split(":")[1]);
        standby.createReplica(
            new LeaderConnection("pg0", "127.0.0.1", port), Duration.ofMinutes(5));
        primary.stop(StopMode.FAST, Duration.ofSeconds(60));
      }
      assertThat(etcd.get("/service/adopt/initialize")).isEmpty();

      primaryAgent = RegentApplication.run(pg0);
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> etcd.get("/service/adopt/leader").map("pg0"::equals).orElse(false));
      standbyAgent = RegentApplication.run(pg1);
      await().atMost(Duration.ofSeconds(120)).until(() -> count(pg1) == 42);

      assertThat(etcd.get("/service/adopt/initialize")).contains(systemIdentifier);
      assertThat(etcd.get("/service/adopt/config")).isPresent();
      try (Connection c = connect(pg0);
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT timeline_id, pg_is_in_recovery() FROM pg_control_checkpoint()")) {
        rs.next();
        assertThat(rs.getInt(1)).as("no promotion: the timeline is the original one").isEqualTo(1);
        assertThat(rs.getBoolean(2)).isFalse();
      }
      try (Connection c = connect(pg0);
          Statement st = c.createStatement()) {
        st.execute("INSERT INTO precious VALUES (43)");
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> count(pg1) == 43);
      // Agents stop before the store does.
      standbyAgent.close();
      primaryAgent.close();
    } finally {
      if (standbyAgent != null && standbyAgent.isActive()) {
        standbyAgent.close();
      }
      if (primaryAgent != null && primaryAgent.isActive()) {
        primaryAgent.close();
      }
      scheduler.shutdownNow();
      PostgresTestEnvironment.deleteTree(base);
    }
  }

  private static Connection connect(AgentConfig member) throws Exception {
    return TestMembers.connect(member.postgresql().connectAddress());
  }

  private static long count(AgentConfig member) {
    return TestMembers.count(member.postgresql().connectAddress(), "precious");
  }
}
