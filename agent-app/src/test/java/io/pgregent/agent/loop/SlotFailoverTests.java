package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.PostgresController;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import io.pgregent.testsupport.postgres.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Slots across a failover, as Patroni 4.1 users rely on them: a native logical subscription on a
 * separate server keeps receiving changes from the new primary with no gap and no duplicate (the
 * permanent logical slot was copied to the replicas and kept advanced); an external inactive
 * physical slot matched by {@code ignore_slots} survives while an unknown one is dropped; a replica
 * down during the failover finds its slot on the new primary and rejoins by streaming, not by
 * cloning again. Real agents, PostgreSQL 15 and etcd.
 */
@Timeout(600)
class SlotFailoverTests {

  private EtcdServer etcd;
  private Path base;
  private TestPostgres subscriber;
  private final ConfigurableApplicationContext[] members = new ConfigurableApplicationContext[3];

  @AfterEach
  void stop() {
    try {
      if (subscriber != null) {
        subscriber.close();
      }
    } finally {
      TestMembers.stopAll(
          etcd,
          base,
          List.of(members[2], members[1], members[0]).stream().filter(m -> m != null).toList());
    }
  }

  @Test
  void logicalSubscriberMemberSlotsAndIgnoredSlotsSurviveAFailover() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-slots");
    String hosts = "127.0.0.1:" + etcd.clientPort();
    AgentConfig[] configs = new AgentConfig[3];
    for (int i = 0; i < 3; i++) {
      configs[i] = config("pg" + i, hosts);
    }
    members[0] = RegentApplication.run(configs[0]);
    TestMembers.awaitLock(members[0].getBean(HaLoop.class));
    Dcs dcs = members[0].getBean(Dcs.class);
    PostgresController pg0 = members[0].getBean(PostgresController.class);
    members[1] = RegentApplication.run(configs[1]);
    members[2] = RegentApplication.run(configs[2]);
    PostgresController pg1 = members[1].getBean(PostgresController.class);
    PostgresController pg2 = members[2].getBean(PostgresController.class);
    awaitStreaming(dcs, "pg1");
    awaitStreaming(dcs, "pg2");

    pg0.client().execute("CREATE TABLE t (id int PRIMARY KEY)");
    pg0.client().execute("CREATE PUBLICATION pub FOR TABLE t");
    pg0.client().queryStrings("SELECT pg_create_physical_replication_slot('barman', true)::text");
    pg0.client().queryStrings("SELECT pg_create_physical_replication_slot('stray', true)::text");
    // The slot Regent does not know and nobody ignores goes; the ignored one stays.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> !slots(pg0).contains("stray"));
    assertThat(slots(pg0)).contains("barman", "sub1", "pg1", "pg2");

    subscriber = TestPostgres.start("subscriber", Duration.ofSeconds(60));
    try (Connection c = subscriberConnection();
        Statement st = c.createStatement()) {
      // No key here: a change applied twice would show as a second row.
      st.execute("CREATE TABLE t (id int)");
      st.execute(
          "CREATE SUBSCRIPTION sub CONNECTION '"
              + conninfo(pg0)
              + "' PUBLICATION pub WITH (create_slot = false, slot_name = 'sub1',"
              + " copy_data = false)");
    }
    insert(pg0, 1, 50);
    awaitSubscriberRows(50);
    // Both replicas hold a copy of the subscriber's slot, advanced to the primary's position (each
    // restarts once to take its copy: it may refuse connections meanwhile).
    for (PostgresController replica : List.of(pg1, pg2)) {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                List<String> lsn = confirmed(replica);
                return !lsn.isEmpty() && lsn.equals(confirmed(pg0));
              });
    }

    // pg2 goes down and stays down across the failover.
    Path marker = pg2.dataDir().resolve("regent-test-marker");
    Files.writeString(marker, "pg2");
    members[2].close();
    members[2] = null;

    insert(pg0, 51, 100);
    awaitSubscriberRows(100);
    long primaryLsn =
        Long.parseLong(
            pg0.client()
                .queryStrings("SELECT (pg_current_wal_lsn() - '0/0')::bigint::text")
                .get(0));
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> pg1.slots().replayLsn() >= primaryLsn);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> confirmed(pg1).equals(confirmed(pg0)));

    // Failover: the primary goes away, pg1 takes over.
    members[0].close();
    members[0] = null;
    HaLoop loop1 = members[1].getBean(HaLoop.class);
    TestMembers.awaitLock(loop1);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> pg1.state().server().map(s -> !s.inRecovery()).orElse(false));
    Dcs dcs1 = members[1].getBean(Dcs.class);
    // The new primary keeps the slot of the member that is down, and says so in /status.
    assertThat(slots(pg1)).contains("pg2", "sub1");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> dcs1.read().status().map(Status::retainSlots).orElse(List.of()).contains("pg2"));

    insert(pg1, 101, 150);
    try (Connection c = subscriberConnection();
        Statement st = c.createStatement()) {
      st.execute("ALTER SUBSCRIPTION sub CONNECTION '" + conninfo(pg1) + "'");
    }
    awaitSubscriberRows(150);
    try (Connection c = subscriberConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM t")) {
      rs.next();
      // Every change exactly once: no gap, no duplicate.
      assertThat(List.of(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)))
          .containsExactly(150L, 150L, 1L, 150L);
    }

    // pg2 comes back: it streams from the new primary with the data directory it had.
    members[2] = RegentApplication.run(configs[2]);
    awaitStreaming(dcs1, "pg2");
    assertThat(
            Files.readString(
                members[2]
                    .getBean(PostgresController.class)
                    .dataDir()
                    .resolve("regent-test-marker")))
        .isEqualTo("pg2");

    // The former primary rejoins as a replica; the ignored slot is still there.
    members[0] = RegentApplication.run(configs[0]);
    awaitStreaming(dcs1, "pg0");
    PostgresController pg0again = members[0].getBean(PostgresController.class);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> slots(pg0again).contains("sub1"));
    assertThat(slots(pg0again)).contains("barman");
  }

  private AgentConfig config(String name, String hosts) {
    return TestMembers.member(base, "slots", name, hosts, Tags.none(), dcs());
  }

  private static ObjectNode dcs() {
    ObjectNode dcs = TestMembers.bootstrapDcs();
    ObjectNode params = (ObjectNode) dcs.path("postgresql").path("parameters");
    params.put("wal_level", "logical");
    ObjectNode slot = dcs.putObject("slots").putObject("sub1");
    slot.put("type", "logical");
    slot.put("database", "postgres");
    slot.put("plugin", "pgoutput");
    dcs.putArray("ignore_slots").addObject().put("name", "barman").put("type", "physical");
    return dcs;
  }

  private static void awaitStreaming(Dcs dcs, String member) {
    TestMembers.awaitReplicationState(dcs, member, "streaming");
  }

  private static List<String> slots(PostgresController pg) {
    return pg.client().queryStrings("SELECT slot_name::text FROM pg_replication_slots");
  }

  private static List<String> confirmed(PostgresController pg) {
    return pg.client()
        .queryStrings(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                + " WHERE slot_name = 'sub1' AND confirmed_flush_lsn IS NOT NULL");
  }

  private static void insert(PostgresController pg, int from, int to) {
    for (int i = from; i <= to; i++) {
      pg.client().execute("INSERT INTO t VALUES (" + i + ")");
    }
  }

  private static String conninfo(PostgresController pg) {
    return "host=127.0.0.1 port="
        + pg.settings().port()
        + " user=postgres password="
        + TestMembers.SUPERUSER.password()
        + " dbname=postgres";
  }

  private Connection subscriberConnection() throws Exception {
    return DriverManager.getConnection(subscriber.jdbcUrl());
  }

  private void awaitSubscriberRows(int rows) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              try (Connection c = subscriberConnection();
                  Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
                rs.next();
                return rs.getLong(1) >= rows;
              }
            });
  }
}
