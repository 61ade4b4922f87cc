package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.PostgresController;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The replication tags as Patroni's users rely on them: a new member clones a running member tagged
 * {@code clonefrom} rather than the leader; {@code replicatefrom} makes it stream from that member,
 * which keeps its slot; a member tagged {@code nostream} recovers from the archive only, gets no
 * slot on the leader and copies no logical slot (a streaming replica copies it); the leader creates
 * the permanent logical slots and publishes every slot's position, its own included, in {@code
 * status}. Real agents, PostgreSQL and etcd.
 */
@Timeout(420)
class ReplicationTagsTests {

  private EtcdServer etcd;
  private Path base;
  private final ConfigurableApplicationContext[] members = new ConfigurableApplicationContext[3];

  @AfterEach
  void stop() {
    TestMembers.stopAll(etcd, base, Arrays.asList(members[2], members[1], members[0]));
  }

  @Test
  void cloneFromReplicateFromAndNostreamShapeTheTopology() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-tags");
    Path archive = TestMembers.sharedDir(base.resolve("archive"));
    String hosts = "127.0.0.1:" + etcd.clientPort();

    members[0] = RegentApplication.run(config("pg0", hosts, archive, Tags.none()));
    HaLoop loop0 = members[0].getBean(HaLoop.class);
    Dcs dcs = members[0].getBean(Dcs.class);
    TestMembers.awaitLock(loop0);

    Tags sourceTags =
        new Tags(false, 1, false, false, true, null, Map.of("clonefrom", true, "nostream", true));
    members[1] = RegentApplication.run(config("pg1", hosts, archive, sourceTags));
    PostgresController pg1 = members[1].getBean(PostgresController.class);
    TestMembers.awaitReplicationState(dcs, "pg1", "in archive recovery");
    assertThat(Files.readString(pg1.dataDir().resolve("postgresql.conf")))
        .doesNotContain("primary_conninfo");
    // A file only pg1's data directory has: whoever clones pg1 gets it.
    Files.writeString(pg1.dataDir().resolve("label"), "pg1");

    Tags cascading = new Tags(false, 1, false, false, false, "pg1", Map.of("replicatefrom", "pg1"));
    members[2] = RegentApplication.run(config("pg2", hosts, archive, cascading));
    PostgresController pg2 = members[2].getBean(PostgresController.class);
    TestMembers.awaitReplicationState(dcs, "pg2", "streaming");
    assertThat(Files.readString(pg2.dataDir().resolve("label"))).isEqualTo("pg1");
    // pg2's WAL receiver runs (it streams from pg1).
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () ->
                pg2.client()
                    .queryStrings("SELECT sender_port::text FROM pg_stat_wal_receiver")
                    .equals(List.of(Integer.toString(pg1.settings().port()))));
    // pg1 may be promoted: it holds a slot for each member that streams (Patroni 4.1).
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> pg1.slots().physicalSlots().equals(List.of("pg0", "pg2")));

    PostgresController pg0 = members[0].getBean(PostgresController.class);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              Map<String, Long> slots = dcs.read().status().map(Status::slots).orElse(Map.of());
              return slots.containsKey("pg0")
                  && slots.containsKey("pg2")
                  && slots.containsKey("test_logical");
            });
    assertThat(dcs.read().status().map(Status::slots).get()).doesNotContainKey("pg1");
    assertThat(pg0.slots().physicalSlots()).containsExactly("pg2");
    // pg2 never streamed from pg0: no hot-standby feedback pins pg0's slot for it (a slot holding
    // an xmin that its member does not use is dropped and recreated, and missing from status).
    assertThat(
            pg0.client()
                .queryStrings(
                    "SELECT (xmin IS NULL)::text FROM pg_replication_slots WHERE slot_name = 'pg2'"))
        .containsExactly("true");
    assertThat(
            pg0.client()
                .queryStrings(
                    "SELECT plugin::text FROM pg_replication_slots WHERE slot_type = 'logical'"))
        .containsExactly("test_decoding");
    // A member that does not stream gets no logical slot, nor does pg2, which gets its WAL through
    // pg1: neither sends feedback to the primary (Patroni's nostream_node feature).
    for (PostgresController replica : List.of(pg1, pg2)) {
      assertThat(
              replica
                  .client()
                  .queryStrings(
                      "SELECT slot_name::text FROM pg_replication_slots"
                          + " WHERE slot_type = 'logical'"))
          .isEmpty();
    }
    assertThat(dcs.read().member("pg1").flatMap(Member::connUrl)).isPresent();
  }

  private static AgentConfig config(String name, String hosts, Path archive, Tags tags) {
    ObjectNode dcs = TestMembers.bootstrapDcs();
    ObjectNode params = (ObjectNode) dcs.path("postgresql").path("parameters");
    params.put("wal_level", "logical");
    params.put("archive_mode", "on");
    params.put("archive_command", "cp %p " + archive + "/%f");
    params.put("restore_command", "cp " + archive + "/%f %p");
    params.put("archive_timeout", 1);
    ObjectNode slot = dcs.putObject("slots").putObject("test_logical");
    slot.put("type", "logical");
    slot.put("database", "postgres");
    slot.put("plugin", "test_decoding");
    return TestMembers.member(archive.getParent(), "tags", name, hosts, tags, dcs);
  }
}
