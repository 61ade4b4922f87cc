package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.postgres.config.BootstrapMethod;
import io.pgregent.postgres.config.BootstrapSettings;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
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
 * A custom {@code bootstrap.method} replaces initdb; {@code bootstrap.pg_hba} is used for the first
 * start only; the superuser gets its configured password.
 */
@Timeout(180)
class CustomBootstrapTests {

  /** A method script's line that sets {@code d} to the {@code --datadir} it was given. */
  private static final String DATADIR_FROM_ARGS =
      "for a in \"$@\"; do case \"$a\" in --datadir=*) d=\"${a#--datadir=}\";; esac; done";

  /** A method script's line that runs the system's initdb into {@code d}. */
  static String initdbIntoDatadir;

  static TestCluster cluster;
  static Path out;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-custom");
    out = TestNodes.sharedDir(cluster.base, "out");
    Path initdb =
        PostgresBinariesResolver.system(
                new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser())))
            .resolve(null, Map.of())
            .initdb();
    initdbIntoDatadir = "exec " + initdb + " -D \"$d\" -U postgres --auth=trust";
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void aCustomMethodCreatesTheClusterWithPatroniParameters() throws Exception {
    Path method =
        TestNodes.script(
            cluster.base,
            "restore_from_backup.sh",
            String.join(
                "\n",
                "echo \"$@\" > " + out.resolve("args"),
                DATADIR_FROM_ARGS,
                initdbIntoDatadir));
    List<String> trustingHba = List.of("local all all trust", "host all all 127.0.0.1/32 trust");
    node =
        node(
            new BootstrapSettings(
                List.of(),
                trustingHba,
                null,
                new BootstrapMethod(
                    "restore", method.toString(), false, false, Map.of("source", "backup1"))));

    node.bootstrap();

    assertThat(Files.readString(out.resolve("args")))
        .contains("--scope=custom")
        .contains("--datadir=" + node.dataDir())
        .contains("--source=backup1");
    assertThat(node.state().role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(Files.readAllLines(node.dataDir().resolve("pg_hba.conf")))
        .isEqualTo(TestNodes.PG_HBA);
    String user =
        connectAs(
            TestNodes.REPLICATION,
            c -> {
              try (var st = c.createStatement();
                  var rs = st.executeQuery("SELECT current_user")) {
                rs.next();
                return rs.getString(1);
              }
            });
    assertThat(user).isEqualTo("replicator");
    boolean superuserLogsIn = connectAs(TestNodes.SUPERUSER, c -> c.isValid(2));
    assertThat(superuserLogsIn).isTrue();
  }

  @Test
  void aMethodGivenByARelativePathRunsFromTheAgentsWorkingDirectory() throws Exception {
    Path method =
        TestNodes.script(
            cluster.base,
            "relative_method.sh",
            String.join("\n", DATADIR_FROM_ARGS, initdbIntoDatadir));
    // As Patroni's users write it (e.g. "python features/backup_create.py"): relative to where
    // the agent was started.
    String relative = Path.of("").toAbsolutePath().relativize(method).toString();
    PostgresController c =
        node(
            "c2",
            new BootstrapSettings(
                List.of(),
                List.of("local all all trust", "host all all 127.0.0.1/32 trust"),
                null,
                new BootstrapMethod("relative", "sh " + relative, false, false, Map.of())));
    try {
      c.bootstrap();
      assertThat(c.state().role()).isEqualTo(PostgresRole.PRIMARY);
    } finally {
      TestNodes.stopQuietly(c);
    }
  }

  @Test
  void aMethodsRecoveryConfRecoversFromTheArchiveBeforeTheClusterIsUsed() throws Exception {
    Path archive = TestNodes.sharedDir(cluster.base, "archive");
    Path backup = cluster.base.resolve("backup");
    // The source allows more connections than the restored cluster: its WAL records that.
    PostgresController source =
        cluster.controller(
            cluster
                .node("source", "s1")
                .parameter("archive_mode", "on")
                .parameter("archive_command", "cp %p " + archive + "/%f")
                .build(),
            io.pgregent.postgres.config.DynamicPostgresConfig.withParameters(
                Map.of("max_connections", 40, "max_wal_senders", 5, "wal_keep_size", "64MB")));
    PostgresController restored = null;
    try {
      source.bootstrap();
      source.client().execute("CREATE TABLE before_backup()");
      CommandRunner runner = new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser()));
      Path basebackup =
          PostgresBinariesResolver.system(runner).resolve(null, Map.of()).pgBasebackup();
      Path backups = TestNodes.sharedDir(cluster.base, "backups");
      assertThat(
              runner
                  .run(
                      List.of(
                          basebackup.toString(),
                          "-D",
                          backups.resolve("b1").toString(),
                          "-X",
                          "none",
                          "-c",
                          "fast",
                          "-d",
                          "host=127.0.0.1 port="
                              + source.settings().port()
                              + " user=replicator password=rep-secret"),
                      Map.of(),
                      Duration.ofMinutes(2))
                  .succeeded())
          .isTrue();
      // Only in the archive: the restored cluster has it only if it recovered from there.
      source.client().execute("CREATE TABLE after_backup()");
      source.client().execute("SELECT pg_switch_wal()");
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  source
                      .client()
                      .queryStrings(
                          "SELECT (last_archived_wal >= pg_walfile_name(pg_current_wal_lsn()"
                              + " - 1))::text FROM pg_stat_archiver")
                      .get(0)
                      .equals("true"));
      Path restore =
          TestNodes.script(
              cluster.base,
              "restore.sh",
              String.join(
                  "\n",
                  DATADIR_FROM_ARGS,
                  "cp -a " + backups.resolve("b1") + "/. \"$d\" && chmod 700 \"$d\""));
      restored =
          node(
              "r1",
              new BootstrapSettings(
                  List.of(),
                  List.of(),
                  null,
                  new BootstrapMethod(
                      "restore",
                      restore.toString(),
                      false,
                      false,
                      Map.of(),
                      Map.of(
                          "restore_command", "cp " + archive + "/%f %p",
                          "recovery_target_action", "promote",
                          "recovery_target_timeline", "latest"))));
      restored.bootstrap();

      assertThat(restored.state().role()).isEqualTo(PostgresRole.PRIMARY);
      assertThat(
              restored
                  .client()
                  .queryStrings(
                      "SELECT count(*)::text FROM pg_class WHERE relname = 'after_backup'"))
          .containsExactly("1");
      assertThat(Files.exists(restored.dataDir().resolve("recovery.signal"))).isFalse();
      assertThat(Files.readString(restored.dataDir().resolve("postgresql.conf")))
          .doesNotContain("recovery_target_action");
    } finally {
      TestNodes.stopQuietly(restored);
      TestNodes.stopQuietly(source);
    }
  }

  /** One connection to {@link #node} over TCP as {@code who}. */
  private static <T> T connectAs(Credentials who, PostgresClient.ConnectionWork<T> work) {
    Duration timeout = Duration.ofSeconds(3);
    return PostgresClient.once("127.0.0.1", node.settings().port(), who, timeout, timeout, work);
  }

  private static PostgresController node(BootstrapSettings bootstrap) {
    return node("c1", bootstrap);
  }

  private static PostgresController node(String name, BootstrapSettings bootstrap) {
    return cluster.controller(cluster.node("custom", name).bootstrap(bootstrap).build());
  }
}
