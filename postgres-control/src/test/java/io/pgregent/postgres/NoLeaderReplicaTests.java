package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.postgres.config.ReplicaMethod;
import io.pgregent.testsupport.postgres.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A replica restored while the cluster has no leader (Patroni's {@code no_leader} replica methods):
 * only those methods run, with Patroni's arguments and an empty {@code --connstring}, what a failed
 * one left is removed before the next, and the standby has no upstream.
 */
@Timeout(180)
class NoLeaderReplicaTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static Path out;
  static PostgresController source;
  static PostgresController restored;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-no-leader");
    out = TestNodes.sharedDir(cluster.base, "out");
    source = cluster.controller(cluster.node("noleader", "source").build());
    // The "backup" the restore method fetches: a base backup of a server outside the cluster.
    Path restore =
        TestNodes.script(
            cluster.base,
            "restore.sh",
            String.join(
                "\n",
                "echo \"$*\" > " + out.resolve("restore-args"),
                "for a in \"$@\"; do case \"$a\" in",
                "  --datadir=*) d=\"${a#--datadir=}\" ;;",
                "  --connstring=*) echo \"connstring=[${a#--connstring=}]\" > "
                    + out.resolve("restore")
                    + " ;;",
                "esac; done",
                // Like a restore that copies a whole tree: the target must not exist yet.
                "[ -e \"$d\" ] && { echo \"$d exists\" >&2; exit 1; }",
                "PGPASSWORD="
                    + TestNodes.REPLICATION.password()
                    + " exec "
                    + TestPostgres.binDir().resolve("pg_basebackup")
                    + " -D \"$d\" -h 127.0.0.1 -p "
                    + source.settings().port()
                    + " -U "
                    + TestNodes.REPLICATION.username()
                    + " -X stream -w"));
    // The data directory's parent belongs to PostgreSQL's OS user, as in a packaged install.
    Path owned = cluster.base.resolve("owned");
    try {
      java.nio.file.Files.createDirectories(owned);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    source.osUser().chown(owned);
    Path needsLeader =
        TestNodes.script(cluster.base, "needs_leader.sh", "touch " + out.resolve("needs_leader"));
    // Fails half-way: what it leaves must not reach the next method.
    Path partial =
        TestNodes.script(
            cluster.base,
            "partial.sh",
            String.join(
                "\n",
                "for a in \"$@\"; do case \"$a\" in --datadir=*) d=\"${a#--datadir=}\" ;; esac; done",
                "mkdir -p \"$d\" && touch \"$d/half-restored\"",
                "exit 1"));
    restored =
        cluster.controller(
            cluster
                .node("noleader", "restored")
                .dataDir(owned.resolve("restored"))
                .createReplicaMethods(List.of("needs_leader", "partial", "restore", "basebackup"))
                .replicaMethods(
                    Map.of(
                        "needs_leader",
                        ReplicaMethod.of("needs_leader", needsLeader.toString()),
                        "partial",
                        new ReplicaMethod(
                            "partial", partial.toString(), false, false, true, Map.of()),
                        "restore",
                        new ReplicaMethod(
                            "restore",
                            restore.toString(),
                            false,
                            false,
                            true,
                            Map.of("target", "latest"))))
                .build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void onlyTheNoLeaderMethodsRunAndTheRestoredStandbyHasNoUpstream() throws Exception {
    source.bootstrap();
    assertThat(restored.canCloneWithoutLeader("restore")).isTrue();
    assertThat(restored.canCloneWithoutLeader("needs_leader")).isFalse();
    assertThat(restored.canCloneWithoutLeader("basebackup")).isFalse();

    restored.createReplica(null, LONG);

    assertThat(out.resolve("needs_leader")).doesNotExist();
    // Patroni's arguments: the method's own keys, no_leader among them, then the standard ones.
    assertThat(Files.readString(out.resolve("restore-args"), StandardCharsets.UTF_8).strip())
        .isEqualTo(
            "--no_leader=True --target=latest --scope=noleader --role=replica --datadir="
                + restored.dataDir()
                + " --connstring=");
    assertThat(restored.dataDir().resolve("half-restored")).doesNotExist();
    assertThat(Files.readString(out.resolve("restore"), StandardCharsets.UTF_8).strip())
        .isEqualTo("connstring=[]");
    assertThat(restored.dataDir().resolve("standby.signal")).exists();
    assertThat(Files.readString(restored.dataDir().resolve("postgresql.conf")))
        .doesNotContain("port=" + source.settings().port());
    restored.start();
    TestNodes.awaitRunningStandby(restored, LONG);
    assertThat(restored.state().systemIdentifier()).isEqualTo(source.state().systemIdentifier());
  }
}
