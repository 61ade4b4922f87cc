package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input gives one clear error naming the cause and the setting to change, and never deletes
 * data. Two stopped clusters, {@code a} and {@code b}, are shared by the tests.
 */
@Timeout(180)
class BadInputTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static PostgresSettings settingsA;
  static PostgresController a;
  static PostgresController b;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-badinput");
    settingsA = cluster.node("bad", "a").usePgRewind(true).build();
    a = cluster.controller(settingsA);
    b = cluster.controller(cluster.node("other", "b").build());
    a.bootstrap();
    a.stop(StopMode.FAST, LONG);
    b.bootstrap();
    b.stop(StopMode.FAST, LONG);
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  @Test
  void missingBinariesNameTheSettingToChange() {
    Path empty = TestNodes.sharedDir(cluster.base, "empty-bin");
    PostgresSettings s = cluster.node("bad", "nobin").binDir(empty).build();

    assertThatThrownBy(() -> new PostgresController(s, cluster.scheduler))
        .isInstanceOf(PostgresSetupException.class)
        .hasMessageContaining("'pg_ctl' not found")
        .hasMessageContaining("postgresql.bin_dir")
        .hasMessageContaining(empty.toString());
  }

  @Test
  void aMissingPostgresUserIsOneClearErrorWhenRunningAsRoot() {
    String missing = "regent_no_such_user";
    if (PostgresTestEnvironment.runningAsRoot()) {
      assertThatThrownBy(() -> OsUser.resolve(missing))
          .isInstanceOf(PostgresSetupException.class)
          .hasMessageContaining("'" + missing + "'")
          .hasMessageContaining("regent.postgres_user")
          .hasMessageContaining("useradd");
    } else {
      // Not root: PostgreSQL runs as the agent's own user, the setting does not matter.
      OsUser user = OsUser.resolve(missing);
      assertThat(user.switchUser()).isFalse();
      assertThat(user.name()).isEqualTo(System.getProperty("user.name"));
    }
  }

  @Test
  void theRootUserIsNeverUsedForPostgres() {
    if (PostgresTestEnvironment.runningAsRoot()) {
      assertThatThrownBy(() -> OsUser.resolve("root"))
          .isInstanceOf(PostgresSetupException.class)
          .hasMessageContaining("uid 0")
          .hasMessageContaining("regent.postgres_user");
      OsUser user = OsUser.resolve(PostgresTestEnvironment.osUser());
      assertThat(user.switchUser()).isTrue();
      assertThat(user.uid()).isNotZero();
      assertThat(user.wrap(java.util.List.of("pg_ctl"))).startsWith("setpriv").endsWith("pg_ctl");
    } else {
      assertThat(OsUser.resolve("root").switchUser()).isFalse();
    }
  }

  @Test
  void aDataDirectoryOwnedByAnotherUserIsRefused() throws Exception {
    Path foreign;
    if (PostgresTestEnvironment.runningAsRoot()) {
      foreign = Files.createDirectories(cluster.base.resolve("foreign-owner"));
      Files.writeString(foreign.resolve("PG_VERSION"), "15\n");
      UserPrincipal nobody =
          foreign.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
      Files.setOwner(foreign, nobody);
    } else {
      foreign = Path.of("/usr/lib");
    }
    PostgresSettings s = cluster.node("bad", "owner").dataDir(foreign).build();
    try (PostgresController c = new PostgresController(s, cluster.scheduler)) {
      assertThatThrownBy(c::start)
          .isInstanceOf(PostgresSetupException.class)
          .hasMessageContaining("is owned by uid")
          .hasMessageContaining("postgresql.data_dir");
    }
    assertThat(foreign).exists();
  }

  @Test
  void bootstrapRefusesANonEmptyDataDirectoryAndKeepsItsFiles() throws Exception {
    assertThatThrownBy(a::bootstrap)
        .isInstanceOf(PostgresSetupException.class)
        .hasMessageContaining("not empty")
        .hasMessageContaining("postgresql.data_dir");
    assertThat(a.dataDir().resolve("PG_VERSION")).exists();
    assertThat(a.state().runState()).isEqualTo(RunState.STOPPED);
  }

  @Test
  void aFailedBootstrapStopsPostgresAndRemovesWhatItCreated() throws Exception {
    // post_bootstrap fails after initdb and the first start: a half-made cluster.
    PostgresSettings s =
        cluster
            .node("bad", "halfmade")
            .bootstrap(
                new io.pgregent.postgres.config.BootstrapSettings(
                    List.of(), List.of(), "false", null))
            .build();
    try (PostgresController c = new PostgresController(s, cluster.scheduler)) {
      c.configure(TestNodes.DYNAMIC);
      assertThatThrownBy(c::bootstrap)
          .isInstanceOf(PostgresException.class)
          .hasMessageContaining("bootstrap failed")
          .hasMessageContaining("was removed");
      // Nothing left to be taken for an existing cluster, and nothing running.
      assertThat(c.state().runState()).isEqualTo(RunState.STOPPED);
      assertThat(c.state().dataDirectoryInitialized()).isFalse();
      try (var left = Files.list(s.dataDir())) {
        assertThat(left.toList()).isEmpty();
      }
    }
  }

  @Test
  void aPortInUseIsReportedWithTheSettingToChange() throws Exception {
    try (ServerSocket taken =
        new ServerSocket(settingsA.port(), 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(taken.isBound()).isTrue();
      assertThatThrownBy(a::start)
          .isInstanceOf(PostgresSetupException.class)
          .hasMessageContaining("port " + settingsA.port())
          .hasMessageContaining("in use")
          .hasMessageContaining("postgresql.listen");
    }
    assertThat(a.isRunning()).isFalse();
  }

  @Test
  void aForeignDataDirectoryIsDetectedBySystemIdentifier() {
    String sysidA = a.controlData().systemIdentifier();
    String sysidB = b.controlData().systemIdentifier();
    assertThat(sysidA).isNotEqualTo(sysidB).isNotBlank();

    a.verifySystemIdentifier(sysidA);
    assertThatThrownBy(() -> a.verifySystemIdentifier(sysidB))
        .isInstanceOf(PostgresSetupException.class)
        .hasMessageContaining("belongs to another cluster")
        .hasMessageContaining(sysidA)
        .hasMessageContaining(sysidB)
        .hasMessageContaining("postgresql.data_dir");
  }

  @Test
  void rewindIsRefusedUnlessEnabled() {
    PostgresSettings noRewind = settingsA.toBuilder().usePgRewind(false).build();
    try (PostgresController c = new PostgresController(noRewind, cluster.scheduler)) {
      assertThatThrownBy(() -> c.rewind(TestNodes.leaderOf(b), LONG))
          .isInstanceOf(PostgresSetupException.class)
          .hasMessageContaining("postgresql.use_pg_rewind");
      c.configure(
          new io.pgregent.postgres.config.DynamicPostgresConfig(
              TestNodes.DYNAMIC.parameters(), true, true, java.util.Set.of()));
      assertThat(c.usePgRewind()).isTrue();
    }
    assertThat(a.dataDir().resolve("PG_VERSION")).exists();
  }

  @Test
  void aFailedRewindKeepsTheDataUnlessRemovalIsAllowed() throws Exception {
    // b is stopped: pg_rewind cannot reach its source.
    LeaderConnection unreachable = TestNodes.leaderOf(b);
    assertThatThrownBy(() -> a.rewind(unreachable, LONG))
        .isInstanceOf(PostgresException.class)
        .hasMessageContaining("pg_rewind failed")
        .hasMessageContaining("remove_data_directory_on_rewind_failure");
    assertThat(a.dataDir().resolve("PG_VERSION")).exists();
    assertThat(a.controlData().systemIdentifier()).isNotEqualTo(b.controlData().systemIdentifier());

    assertThatThrownBy(() -> a.recloneOnDivergedTimelines(unreachable, LONG))
        .isInstanceOf(PostgresSetupException.class)
        .hasMessageContaining("remove_data_directory_on_diverged_timelines");
    assertThat(a.dataDir().resolve("PG_VERSION")).exists();
  }
}
