package io.pgregent.postgres;

import static io.pgregent.postgres.TestNodes.DYNAMIC;
import static io.pgregent.postgres.TestNodes.leaderOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.BootstrapSettings;
import io.pgregent.postgres.config.Callbacks;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.ReplicaMethod;
import io.pgregent.postgres.status.ReplicationRow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One two-member cluster through its life: bootstrap, a replica cloned and streaming, promotion,
 * the old primary demoted to follow the new one, and pg_rewind after a forced timeline split. The
 * steps build on each other, so they are one test.
 */
@Timeout(180)
class ReplicationLifecycleTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static Path out;
  static PostgresController node1;
  static PostgresController node2;

  @BeforeAll
  static void setUp() throws Exception {
    cluster = new TestCluster("regent-lifecycle");
    out = TestNodes.sharedDir(cluster.base, "out");
    Path postBootstrap =
        TestNodes.script(
            cluster.base,
            "post_bootstrap.sh",
            "echo \"$1 $PGPASSFILE\" > " + out.resolve("post_bootstrap"));
    Path callback =
        TestNodes.script(
            cluster.base, "callback.sh", "echo \"$1 $2 $3\" >> " + out.resolve("callbacks"));
    Path failingMethod =
        TestNodes.script(
            cluster.base,
            "failing_method.sh",
            "echo \"$@\" > " + out.resolve("method") + "; exit 1");
    node1 =
        cluster.controller(
            cluster
                .node("lifecycle", "node1")
                .usePgRewind(true)
                .pgIdent(List.of("regent_map root postgres"))
                .bootstrap(
                    new BootstrapSettings(
                        List.of("data-checksums", Map.of("encoding", "UTF8")),
                        List.of(),
                        postBootstrap.toString(),
                        null))
                .build());
    node2 =
        cluster.controller(
            cluster
                .node("lifecycle", "node-2.b")
                .usePgRewind(true)
                .callbacks(new Callbacks(null, null, null, null, callback.toString()))
                .createReplicaMethods(List.of("failing", "basebackup"))
                .replicaMethods(
                    Map.of("failing", ReplicaMethod.of("failing", failingMethod.toString())))
                .build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  /** The steps build on each other: each starts from the cluster the one before left. */
  @Test
  @Timeout(600)
  void oneClusterThroughItsLife() throws Exception {
    bootstrapCreatesARunningPrimaryWithUsersAndConfiguration();
    aClonedReplicaStreamsFromThePrimaryThroughItsSlot();
    promotionMakesTheReplicaAWritablePrimaryOnANewTimeline();
    theDemotedOldPrimaryFollowsTheNewLeader();
    aStandbyKeepsTheTimelineItStreamedWhenItsPrimaryDies();
    pgRewindBringsBackAFormerPrimaryAfterATimelineSplit();
    aCrashedStandbyRecoversAsAStandbyAndMissesNoneOfTheLeadersWal();
  }

  private void bootstrapCreatesARunningPrimaryWithUsersAndConfiguration() throws Exception {
    node1.bootstrap();

    LocalPostgresState state = node1.state();
    assertThat(state.runState()).isEqualTo(RunState.RUNNING);
    assertThat(state.role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(state.timeline()).contains(1);
    assertThat(state.systemIdentifier()).contains(node1.controlData().systemIdentifier());
    assertThat(state.server().orElseThrow().currentLsn()).isPositive();
    assertThat(node1.client().queryStrings("SHOW data_checksums")).containsExactly("on");
    assertThat(node1.client().queryStrings("SHOW max_connections")).containsExactly("30");
    assertThat(node1.client().queryStrings("SHOW cluster_name")).containsExactly("lifecycle");
    assertThat(
            node1
                .client()
                .queryStrings(
                    "SELECT rolname::text FROM pg_roles WHERE rolreplication AND rolname = ?",
                    "replicator"))
        .containsExactly("replicator");
    assertThat(
            node1
                .client()
                .queryStrings(
                    "SELECT rolname::text FROM pg_roles WHERE rolname = ?", "rewind_user"))
        .containsExactly("rewind_user");
    Path dataDir = node1.dataDir();
    assertThat(Files.readString(dataDir.resolve("postgresql.conf")))
        .startsWith("# Do not edit this file manually!")
        .contains("include 'postgresql.base.conf'");
    assertThat(dataDir.resolve("postgresql.base.conf")).exists();
    assertThat(Files.readAllLines(dataDir.resolve("pg_hba.conf"))).isEqualTo(TestNodes.PG_HBA);
    assertThat(Files.readAllLines(dataDir.resolve("pg_ident.conf")))
        .containsExactly("regent_map root postgres");
    assertThat(node1.osUser().owns(dataDir)).isTrue();
    String postBootstrap = Files.readString(out.resolve("post_bootstrap"), StandardCharsets.UTF_8);
    assertThat(postBootstrap)
        .contains("postgres://postgres@127.0.0.1:" + node1.settings().port() + "/postgres")
        .contains(node1.settings().pgpass().toString());
  }

  private void aClonedReplicaStreamsFromThePrimaryThroughItsSlot() throws Exception {
    // A permanent slot from the cluster-wide configuration is created, and dropped once removed.
    node1.configure(
        new DynamicPostgresConfig(DYNAMIC.parameters(), null, true, Set.of("archiver")));
    node1.slots().syncReplicationSlots(Set.of("node1", "node-2.b"));
    assertThat(node1.slots().physicalSlots()).containsExactly("archiver", "node_2_b");
    node1.configure(DYNAMIC);

    Set<String> slots = node1.slots().syncReplicationSlots(Set.of("node1", "node-2.b"));
    assertThat(slots).containsExactly("node_2_b");
    assertThat(node1.slots().physicalSlots()).containsExactly("node_2_b");
    node1.client().execute("CREATE TABLE t (v text)");
    node1.client().execute("INSERT INTO t VALUES ('before clone')");

    node2.createReplica(leaderOf(node1), LONG);
    // The failing method ran first with Patroni's parameters, then basebackup took over.
    String methodArgs = Files.readString(out.resolve("method"), StandardCharsets.UTF_8);
    assertThat(methodArgs)
        .contains("--scope=lifecycle")
        .contains("--role=replica")
        .contains("--datadir=" + node2.dataDir())
        .contains("--connstring=host=127.0.0.1 port=" + node1.settings().port());
    assertThat(node2.dataDir().resolve("standby.signal")).exists();
    assertThat(Files.readString(node2.dataDir().resolve("postgresql.conf")))
        .contains("application_name=node-2.b")
        .contains("primary_slot_name = 'node_2_b'")
        .doesNotContain("rep-secret");
    node2.start();
    node1.client().execute("INSERT INTO t VALUES ('after clone')");

    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              List<ReplicationRow> rows = node1.state().replication();
              assertThat(rows).hasSize(1);
              assertThat(rows.get(0).applicationName()).isEqualTo("node-2.b");
              assertThat(rows.get(0).state()).isEqualTo("streaming");
              assertThat(rows.get(0).usename()).isEqualTo("replicator");
              // a caught-up standby has a lag time: measured, or 0 once PostgreSQL cleared it
              assertThat(rows.get(0).replayLagMillis()).isGreaterThanOrEqualTo(0);
            });
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(TestNodes.rowsOfT(node2))
                    .containsExactly("after clone", "before clone"));
    LocalPostgresState replica = node2.state();
    assertThat(replica.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(replica.timeline()).contains(1);
    assertThat(replica.server().orElseThrow().receiveLsn()).isPositive();
    assertThat(replica.server().orElseThrow().replayLsn()).isPositive();
    assertThat(replica.systemIdentifier()).isEqualTo(node1.state().systemIdentifier());
    // A standby asked to (the standby leader of a standby cluster) keeps its standbys' slots.
    assertThat(node2.slots().syncReplicationSlots(Set.of("node1", "node-2.b")))
        .containsExactly("node1");
    assertThat(node2.slots().physicalSlots()).containsExactly("node1");
    // Parameters a standby must not have lower come from the cluster-wide configuration.
    assertThat(node2.client().queryStrings("SHOW max_connections")).containsExactly("30");
    assertThat(
            node1
                .client()
                .queryStrings(
                    "SELECT active::text FROM pg_replication_slots WHERE slot_name = 'node_2_b'"))
        .containsExactly("true");
  }

  private void promotionMakesTheReplicaAWritablePrimaryOnANewTimeline() {
    // A switchover: the old primary stops first, so the replica has all of its WAL.
    node1.stop(StopMode.FAST, LONG);
    assertThat(node1.state().runState()).isEqualTo(RunState.STOPPED);

    // Health checks are told the moment the server accepts writes, with the sample that showed it
    // (the same facts a fresh sample gives), before the configuration and checkpoint work.
    java.util.List<LocalPostgresState> writable = new java.util.concurrent.CopyOnWriteArrayList<>();
    node2.promote(LONG, writable::add);

    LocalPostgresState state = node2.state();
    assertThat(state.pendingRestartParameters()).as("pending restart after promotion").isEmpty();
    assertThat(state.role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(state.timeline()).contains(2);
    assertThat(writable).hasSize(1);
    assertThat(writable.get(0).role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(writable.get(0).runState()).isEqualTo(RunState.RUNNING);
    assertThat(writable.get(0).postmasterPid()).isEqualTo(state.postmasterPid());
    assertThat(writable.get(0).server().map(s -> s.inRecovery())).contains(false);
    node2.client().execute("INSERT INTO t VALUES ('on node2')");
    assertThat(node2.dataDir().resolve("standby.signal")).doesNotExist();
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(Files.readAllLines(out.resolve("callbacks")))
                    .containsExactly("on_role_change primary lifecycle"));
  }

  private void theDemotedOldPrimaryFollowsTheNewLeader() {
    node2.slots().syncReplicationSlots(Set.of("node1", "node-2.b"));
    assertThat(node2.slots().physicalSlots()).containsExactly("node1");

    // The old primary stopped cleanly before the promotion: no rewind is needed to follow.
    assertThat(node1.rewindRequired(leaderOf(node2), LONG)).isFalse();

    node1.followLeader(leaderOf(node2));

    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              TestNodes.assertStreamsOnlyTo(node2, "node1");
              assertThat(TestNodes.rowsOfT(node1)).contains("on node2");
            });
    LocalPostgresState state = node1.state();
    assertThat(state.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(state.timeline()).contains(2);
  }

  private void aStandbyKeepsTheTimelineItStreamedWhenItsPrimaryDies() {
    // node1 streams timeline 2 from node2, but its last restartpoint is still on timeline 1.
    node2.client().execute("INSERT INTO t VALUES ('streamed on timeline 2')");
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> assertThat(TestNodes.rowsOfT(node1)).contains("streamed on timeline 2"));
    assertThat(node1.client().queryStrings("SELECT timeline_id::text FROM pg_control_checkpoint()"))
        .containsExactly("1");

    node2.stop(StopMode.IMMEDIATE, LONG);
    await()
        .atMost(LONG)
        .until(
            () ->
                node1
                    .client()
                    .queryStrings("SELECT count(*)::text FROM pg_stat_wal_receiver")
                    .equals(java.util.List.of("0")));

    // Its WAL is timeline 2's: it must not look as if it went past where timeline 2 forked off.
    LocalPostgresState state = node1.state();
    assertThat(state.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(state.timeline()).contains(2);

    node2.start();
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(node2.state().replication())
                    .extracting(ReplicationRow::applicationName, ReplicationRow::state)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("node1", "streaming")));
  }

  private void pgRewindBringsBackAFormerPrimaryAfterATimelineSplit() {
    // Split: node1 is promoted while node2 stays primary, and both take writes.
    node1.promote(LONG);
    assertThat(node1.state().timeline()).contains(3);
    node1.client().execute("INSERT INTO t VALUES ('lost on node1')");
    node2.client().execute("INSERT INTO t VALUES ('kept on node2')");
    node2.client().execute("CHECKPOINT");
    // An immediate stop is unclean: crash recovery in single-user mode runs before pg_rewind.
    node1.stop(StopMode.IMMEDIATE, LONG);
    assertThat(node1.controlData().cleanShutdown()).isFalse();

    assertThat(node1.rewindRequired(leaderOf(node2), LONG)).isTrue();
    assertThat(node1.controlData().cleanShutdown()).isTrue();

    RewindOutcome outcome = node1.rewind(leaderOf(node2), LONG);
    assertThat(outcome).isEqualTo(RewindOutcome.REWOUND);
    node1.start();

    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(TestNodes.rowsOfT(node1))
                    .contains("kept on node2")
                    .doesNotContain("lost on node1"));
    LocalPostgresState state = node1.state();
    assertThat(state.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(state.timeline()).contains(2);
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(node2.state().replication())
                    .extracting(ReplicationRow::applicationName)
                    .containsExactly("node1"));
  }

  private void aCrashedStandbyRecoversAsAStandbyAndMissesNoneOfTheLeadersWal() {
    node1.stop(StopMode.IMMEDIATE, LONG);
    assertThat(node1.controlData().clusterState()).isEqualTo("in archive recovery");
    // Written where the crashed standby's WAL ends: a checkpoint of its own there would hide it.
    node2.client().execute("INSERT INTO t VALUES ('after the standby crashed')");

    RewindOutcome outcome = node1.rewind(leaderOf(node2), LONG);
    assertThat(outcome).isEqualTo(RewindOutcome.NOT_NEEDED);
    // Recovered as a standby: nothing was written into the timeline it shares with node2.
    assertThat(node1.controlData().clusterState()).isEqualTo("shut down in recovery");
    node1.start();

    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(TestNodes.rowsOfT(node1))
                    .contains("kept on node2", "after the standby crashed"));
    assertThat(node1.state().role()).isEqualTo(PostgresRole.REPLICA);
  }
}
