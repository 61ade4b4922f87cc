package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * pg_hba.conf is Regent's to write when the configured lines change and when the server starts; a
 * change of the cluster-wide parameters leaves an operator's edit of a running server's file alone.
 */
@Timeout(180)
class HbaRewriteTests {

  private static final Duration LONG = Duration.ofSeconds(60);
  private static final String EDIT = "host all postgres 10.9.9.9/32 reject # the operator's line";

  static TestCluster cluster;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-hba");
    node = cluster.controller(cluster.node("hba", "solo").build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void anEditStaysUntilTheConfiguredLinesChangeOrTheServerStarts() throws Exception {
    TestNodes.bootstrapAndAwaitRunning(node, LONG);
    Path hba = node.dataDir().resolve("pg_hba.conf");
    assertThat(Files.readAllLines(hba)).isEqualTo(TestNodes.PG_HBA);

    // A cluster-wide change rewrites postgresql.conf, not the operator's pg_hba.conf.
    Files.writeString(hba, EDIT + "\n" + Files.readString(hba));
    Map<String, Object> parameters = new java.util.HashMap<>(TestNodes.DYNAMIC.parameters());
    parameters.put("work_mem", "5MB");
    assertThat(node.configure(DynamicPostgresConfig.withParameters(parameters))).isTrue();
    assertThat(Files.readString(hba)).startsWith(EDIT);

    // New configured lines replace the file.
    List<String> lines = new ArrayList<>(TestNodes.PG_HBA);
    lines.add("host all all 127.0.0.2/32 scram-sha-256");
    assertThat(node.reloadSettings(node.settings().toBuilder().pgHba(lines).build())).isTrue();
    assertThat(Files.readAllLines(hba)).isEqualTo(lines);

    // So does a start.
    Files.writeString(hba, EDIT + "\n" + Files.readString(hba));
    node.restart();
    await().atMost(LONG).until(() -> node.state().runState() == RunState.RUNNING);
    assertThat(Files.readAllLines(hba)).isEqualTo(lines);
  }
}
