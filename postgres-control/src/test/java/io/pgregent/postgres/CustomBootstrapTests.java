package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.postgres.config.BootstrapMethod;
import io.pgregent.postgres.config.BootstrapSettings;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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

  static Path base;
  static Path out;
  static ScheduledExecutorService scheduler;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    base = PostgresTestEnvironment.newBaseDir("regent-custom");
    out = TestNodes.sharedDir(base, "out");
    scheduler = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterAll
  static void tearDown() {
    TestNodes.stopQuietly(node);
    scheduler.shutdownNow();
    PostgresTestEnvironment.deleteTree(base);
  }

  @Test
  void aCustomMethodCreatesTheClusterWithPatroniParameters() throws Exception {
    Path initdb =
        PostgresBinariesResolver.system(
                new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser())))
            .resolve(null, Map.of())
            .initdb();
    Path method =
        TestNodes.script(
            base,
            "restore_from_backup.sh",
            String.join(
                "\n",
                "echo \"$@\" > " + out.resolve("args"),
                "for a in \"$@\"; do case \"$a\" in --datadir=*) d=\"${a#--datadir=}\";; esac;"
                    + " done",
                "exec " + initdb + " -D \"$d\" -U postgres --auth=trust"));
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
        PostgresClient.once(
            "127.0.0.1",
            node.settings().port(),
            TestNodes.REPLICATION,
            Duration.ofSeconds(3),
            Duration.ofSeconds(3),
            c -> {
              try (var st = c.createStatement();
                  var rs = st.executeQuery("SELECT current_user")) {
                rs.next();
                return rs.getString(1);
              }
            });
    assertThat(user).isEqualTo("replicator");
    boolean superuserLogsIn =
        PostgresClient.once(
            "127.0.0.1",
            node.settings().port(),
            TestNodes.SUPERUSER,
            Duration.ofSeconds(3),
            Duration.ofSeconds(3),
            c -> c.isValid(2));
    assertThat(superuserLogsIn).isTrue();
  }

  private static PostgresController node(BootstrapSettings bootstrap) {
    PostgresController c =
        new PostgresController(
            TestNodes.node(base, "custom", "c1").bootstrap(bootstrap).build(), scheduler);
    c.configure(TestNodes.DYNAMIC);
    return c;
  }
}
