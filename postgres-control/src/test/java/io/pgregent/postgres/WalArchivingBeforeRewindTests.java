package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.testsupport.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With archiving on, WAL a former primary could not archive yet is archived before pg_rewind runs,
 * even when the rewind itself then fails; and the WAL file of its shutdown checkpoint is archived
 * when it is demoted to a standby cluster (the promoted remote standby restores it from there).
 */
@Timeout(180)
class WalArchivingBeforeRewindTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static Path archive;
  static PostgresSettings failingArchive;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-archive");
    archive = TestNodes.sharedDir(cluster.base, "archive");
    failingArchive =
        cluster
            .node("archiving", "old-primary")
            .usePgRewind(true)
            .parameter("archive_mode", "on")
            .parameter("archive_command", "false")
            .build();
    node = cluster.controller(failingArchive);
    node.bootstrap();
    node.client().execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS v");
    node.client().queryStrings("SELECT pg_switch_wal()::text");
    node.client().execute("INSERT INTO t VALUES (0)");
    node.client().queryStrings("SELECT pg_switch_wal()::text");
    node.stop(StopMode.FAST, LONG);
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  private static List<String> statusFiles(String suffix) throws Exception {
    try (Stream<Path> s = Files.list(node.dataDir().resolve("pg_wal").resolve("archive_status"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).toList();
    }
  }

  @Test
  void readyWalIsArchivedBeforeTheRewind() throws Exception {
    List<String> ready = statusFiles(".ready");
    assertThat(ready).isNotEmpty();
    PostgresSettings working =
        failingArchive.toBuilder().parameter("archive_command", "cp %p " + archive + "/%f").build();
    LeaderConnection nobodyListens = new LeaderConnection("gone", "127.0.0.1", FreePorts.next());
    try (PostgresController c = new PostgresController(working, cluster.scheduler)) {
      c.configure(TestNodes.DYNAMIC);

      assertThatThrownBy(() -> c.rewind(nobodyListens, LONG))
          .hasMessageContaining("pg_rewind failed");
    }

    List<String> archived;
    try (Stream<Path> s = Files.list(archive)) {
      archived = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    List<String> expected =
        ready.stream().map(n -> n.substring(0, n.length() - ".ready".length())).sorted().toList();
    assertThat(archived).containsExactlyElementsOf(expected);
    assertThat(statusFiles(".ready")).isEmpty();
    assertThat(statusFiles(".done")).containsAll(expected.stream().map(w -> w + ".done").toList());
  }

  @Test
  void theShutdownCheckpointsWalFileGoesToTheArchive() {
    Path shutdownArchive = TestNodes.sharedDir(cluster.base, "shutdown-archive");
    PostgresSettings working =
        failingArchive.toBuilder()
            .parameter("archive_command", "cp %p " + shutdownArchive + "/%f")
            .build();
    String file = node.controlData().fields().get("Latest checkpoint's REDO WAL file");
    try (PostgresController c = new PostgresController(working, cluster.scheduler)) {
      c.configure(TestNodes.DYNAMIC);

      assertThat(c.archiveShutdownCheckpointWal()).isTrue();
    }

    assertThat(shutdownArchive.resolve(file))
        .hasSameBinaryContentAs(node.dataDir().resolve("pg_wal").resolve(file));
  }

  @Test
  void theShutdownCheckpointsWalFileStaysWithArchivingOff() {
    PostgresSettings off = failingArchive.toBuilder().parameter("archive_mode", "off").build();
    try (PostgresController c = new PostgresController(off, cluster.scheduler)) {
      c.configure(TestNodes.DYNAMIC);

      assertThat(c.archiveShutdownCheckpointWal()).isFalse();
    }
  }
}
