package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.Callbacks;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Process control on one primary: reload vs pending restart, adopting a running postmaster, a hung
 * server, stop escalation, crash detection, callbacks and pre_promote. The primary is shared (one
 * initdb for the class); each test starts from it running as a primary with {@link
 * TestNodes#DYNAMIC}, whatever the test before it left behind.
 */
@Timeout(180)
class ProcessControlTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  static TestCluster cluster;
  static Path out;
  static PostgresSettings settings;
  static PostgresController node;

  @BeforeAll
  static void setUp() {
    cluster = new TestCluster("regent-process");
    out = TestNodes.sharedDir(cluster.base, "out");
    Path callback =
        TestNodes.script(
            cluster.base, "callback.sh", "echo \"$1 $2 $3\" >> " + out.resolve("callbacks"));
    // pre_promote fails only while a test asks it to, so that a demoted node can be promoted back.
    Path prePromote =
        TestNodes.script(
            cluster.base, "pre_promote.sh", "if [ -e " + prePromoteFails() + " ]; then exit 3; fi");
    Path beforeStop =
        TestNodes.script(
            cluster.base, "before_stop.sh", "echo stopping >> " + out.resolve("before_stop"));
    String cb = callback.toString();
    settings =
        cluster
            .node("pgctl", "solo")
            .callbacks(new Callbacks(cb, cb, cb, cb, cb))
            .prePromote(prePromote.toString())
            .beforeStop(beforeStop.toString())
            .build();
    node = cluster.controller(settings);
    node.bootstrap();
  }

  /** Brings the shared node back to a running primary with the class's configuration. */
  @BeforeEach
  void startFromARunningPrimary() throws Exception {
    Files.deleteIfExists(prePromoteFails());
    if (!node.isRunning() || node.state().runState() != RunState.RUNNING) {
      node.start();
    }
    if (node.state().role() == PostgresRole.REPLICA) {
      node.promote(LONG);
    }
    node.configure(TestNodes.DYNAMIC);
    await().atMost(LONG).until(() -> node.state().isHealthy());
    if (node.state().pendingRestart()) {
      node.restart();
    }
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> assertThat(node.client().queryStrings("SHOW max_connections")).contains("30"));
    Files.deleteIfExists(out.resolve("callbacks"));
    Files.deleteIfExists(out.resolve("before_stop"));
  }

  private static Path prePromoteFails() {
    return out.resolve("pre_promote_fails");
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  private static List<String> callbacks() throws Exception {
    Path f = out.resolve("callbacks");
    return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
  }

  private static DynamicPostgresConfig dynamicWith(Map<String, Object> extra) {
    Map<String, Object> p = new HashMap<>(TestNodes.DYNAMIC.parameters());
    p.putAll(extra);
    return DynamicPostgresConfig.withParameters(p);
  }

  @Test
  void aReloadableChangeAppliesWithoutRestartAndInvalidParametersAreDropped() {
    boolean changed =
        node.configure(
            dynamicWith(
                Map.of(
                    "Work_Mem", "8MB",
                    "no_such_parameter", "1",
                    "statement_timeout", "soon",
                    "shared_buffers", "1GB")));

    assertThat(changed).isTrue();
    Map<String, String> effective = node.effectiveParameters();
    assertThat(effective).containsEntry("work_mem", "8MB");
    assertThat(effective.keySet()).doesNotContain("no_such_parameter", "statement_timeout");
    // The local value wins over the cluster-wide one for ordinary parameters.
    assertThat(effective).containsEntry("shared_buffers", "16MB");
    await()
        .atMost(LONG)
        .untilAsserted(
            () -> assertThat(node.client().queryStrings("SHOW work_mem")).containsExactly("8MB"));
    assertThat(node.state().pendingRestart()).isFalse();
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(callbacks()).contains("on_reload primary pgctl"));
  }

  @Test
  void aChangeThatNeedsARestartIsPendingUntilTheRestart() {
    Instant startedBefore = node.state().postmasterStartTime().orElseThrow();

    node.configure(dynamicWith(Map.of("max_connections", 40)));

    await()
        .atMost(LONG)
        .untilAsserted(
            () -> assertThat(node.state().pendingRestartParameters()).contains("max_connections"));
    assertThat(node.client().queryStrings("SHOW max_connections")).containsExactly("30");

    node.restart();

    LocalPostgresState state = node.state();
    assertThat(state.pendingRestart()).isFalse();
    assertThat(state.postmasterStartTime().orElseThrow()).isAfter(startedBefore);
    assertThat(node.client().queryStrings("SHOW max_connections")).containsExactly("40");
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(callbacks()).contains("on_restart primary pgctl"));
  }

  @Test
  void aSecondControllerAdoptsTheRunningPostmasterInsteadOfStartingAnother() {
    long pid = node.state().postmasterPid();
    try (PostgresController again = new PostgresController(settings, cluster.scheduler)) {
      again.configure(TestNodes.DYNAMIC);
      assertThat(again.state().runState()).isEqualTo(RunState.RUNNING);
      assertThat(again.state().postmasterPid()).isEqualTo(pid);

      again.start();

      assertThat(again.state().postmasterPid()).isEqualTo(pid);
      assertThat(node.state().postmasterPid()).isEqualTo(pid);
    }
  }

  @Test
  void aHungServerMakesStatusCallsFailWithinTheirBound() {
    assertThat(node.state().isHealthy()).isTrue();
    long pid = node.state().postmasterPid();
    List<Long> pids = new java.util.ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).orElseThrow().descendants().forEach(h -> pids.add(h.pid()));
    pids.forEach(p -> TestNodes.signal("STOP", p));
    try {
      Duration bound = settings.connectTimeout().plus(settings.queryTimeout().multipliedBy(2));
      long t0 = System.nanoTime();
      LocalPostgresState state = node.state();
      Duration took = Duration.ofNanos(System.nanoTime() - t0);

      assertThat(took).isLessThan(bound.plusSeconds(2));
      assertThat(state.runState()).isEqualTo(RunState.RUNNING);
      assertThat(state.server()).isEmpty();
      assertThat(state.queryError()).isPresent();
    } finally {
      pids.forEach(p -> TestNodes.signal("CONT", p));
    }
    await().atMost(LONG).until(() -> node.state().isHealthy());
  }

  @Test
  void aSmartStopThatWaitsForClientsEscalatesWithinItsBound() throws Exception {
    try (Connection held =
        DriverManager.getConnection(
            "jdbc:postgresql://127.0.0.1:" + settings.port() + "/postgres",
            TestNodes.SUPERUSER.username(),
            TestNodes.SUPERUSER.password())) {
      assertThat(held.isValid(2)).isTrue();
      long t0 = System.nanoTime();

      node.stop(StopMode.SMART, Duration.ofSeconds(2));

      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }
    assertThat(node.state().runState()).isEqualTo(RunState.STOPPED);
    assertThat(node.controlData().cleanShutdown()).isTrue();
    assertThat(Files.readString(out.resolve("before_stop"))).contains("stopping");
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(callbacks()).contains("on_stop primary pgctl"));
    node.start();
    assertThat(node.state().isHealthy()).isTrue();
  }

  @Test
  void aKilledPostmasterIsReportedCrashedAndStartsAgain() {
    long pid = node.state().postmasterPid();
    ProcessHandle handle = ProcessHandle.of(pid).orElseThrow();

    TestNodes.signal("KILL", pid);

    await().atMost(LONG).until(() -> !handle.isAlive());
    LocalPostgresState crashed = node.state();
    assertThat(crashed.runState()).isEqualTo(RunState.CRASHED);
    assertThat(crashed.postmasterPid()).isZero();
    // An agent started after the crash sees the stale postmaster.pid.
    try (PostgresController fresh = new PostgresController(settings, cluster.scheduler)) {
      assertThat(fresh.state().runState()).isEqualTo(RunState.CRASHED);
    }

    node.start();

    LocalPostgresState state = node.state();
    assertThat(state.isHealthy()).isTrue();
    assertThat(state.postmasterPid()).isNotEqualTo(pid);
    await()
        .atMost(LONG)
        .untilAsserted(() -> assertThat(callbacks()).contains("on_start primary pgctl"));
  }

  @Test
  void aPooledConnectionThatDiedIsReplacedWithinTheSameStatusRead() {
    assertThat(node.state().isHealthy()).isTrue();
    int regentBackends = regentBackendsOtherThanThisOne(false);
    assertThat(regentBackends).as("the pool's connection to the server").isPositive();

    // The pool's connections die while the agent is between two cycles: every one it holds now
    // (the pool may have opened another since they were counted, or retired one).
    assertThat(regentBackendsOtherThanThisOne(true)).isPositive();

    LocalPostgresState state = node.state();
    assertThat(state.queryError()).isEmpty();
    assertThat(state.isHealthy()).isTrue();
    assertThat(state.server()).isPresent();
  }

  /** Counts (and with {@code terminate}, ends) the pool's backends, seen from a fresh session. */
  private static int regentBackendsOtherThanThisOne(boolean terminate) {
    String sql =
        "SELECT count(*) FILTER (WHERE "
            + (terminate ? "pg_terminate_backend(pid)" : "true")
            + ") FROM pg_stat_activity WHERE application_name = 'regent'"
            + " AND pid <> pg_backend_pid()";
    return io.pgregent.postgres.status.PostgresClient.once(
        "127.0.0.1",
        settings.port(),
        TestNodes.SUPERUSER,
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        c -> {
          try (var st = c.createStatement();
              var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
          }
        });
  }

  @Test
  void aFailingPrePromoteAbortsThePromotion() throws Exception {
    Files.writeString(prePromoteFails(), "");
    assertThatThrownBy(() -> node.promote(Duration.ofSeconds(10)))
        .isInstanceOf(PromotionAbortedException.class)
        .hasMessageContaining("pre_promote exited with 3");
    assertThat(node.state().role()).isEqualTo(PostgresRole.PRIMARY);
  }

  @Test
  void aDemotionWithoutANewLeaderNeverComesBackAsAPrimary() {
    node.demote(java.util.Optional.empty());

    LocalPostgresState stopped = node.state();
    assertThat(stopped.runState()).isEqualTo(RunState.STOPPED);
    assertThat(stopped.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(node.dataDir().resolve("standby.signal")).exists();

    node.start();

    assertThat(node.state().role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(node.client().queryStrings("SELECT pg_is_in_recovery()::text"))
        .containsExactly("true");
  }

  /**
   * A primary's start asks the lease right before the server starts: one whose lease lapsed since
   * the decision (the agent froze in between) comes up read-only, a standby without upstream.
   */
  @Test
  void aPrimaryStartedAfterItsLeaseLapsedComesUpReadOnly() {
    node.stop(StopMode.FAST, LONG);
    assertThat(node.state().role()).isEqualTo(PostgresRole.PRIMARY);

    node.start(() -> false);

    assertThat(node.state().role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(node.client().queryStrings("SELECT pg_is_in_recovery()::text"))
        .containsExactly("true");
    // With the lease held the same start is a primary's (after the standby is promoted back).
    node.promote(LONG);
    node.stop(StopMode.FAST, LONG);
    node.start(() -> true);
    assertThat(node.client().queryStrings("SELECT pg_is_in_recovery()::text"))
        .containsExactly("false");
  }

  /** The promotion asks the lease right before pg_ctl promote: a lapsed one leaves a standby. */
  @Test
  void aPromotionAfterTheLeaseLapsedIsAbortedBeforePgCtlPromote() {
    node.demote(java.util.Optional.empty());
    node.start();
    assertThat(node.state().role()).isEqualTo(PostgresRole.REPLICA);

    assertThatThrownBy(() -> node.promote(LONG, () -> false, s -> {}))
        .isInstanceOf(PromotionAbortedException.class)
        .hasMessageContaining("lease lapsed");

    assertThat(node.client().queryStrings("SELECT pg_is_in_recovery()::text"))
        .containsExactly("true");
  }

  @Test
  void aSynchronousStandbyNamesChangeNotInForceIsReportedAsNotMade() {
    assertThat(node.setSynchronousStandbyNames(Optional.of("pg9"), LONG)).isNotNull();
    assertThat(node.synchronousStandbyNames()).contains("pg9");
    // The server refuses a value it cannot parse and keeps the old one in force.
    assertThatThrownBy(
            () ->
                node.setSynchronousStandbyNames(
                    Optional.of("FIRST 1 (\"pg1"), Duration.ofSeconds(3)))
        .isInstanceOf(PostgresException.class)
        .hasMessageContaining("not in force");
    assertThat(node.synchronousStandbyNames()).contains("pg9");
    node.setSynchronousStandbyNames(Optional.empty(), LONG);
    assertThat(node.synchronousStandbyNames()).isEmpty();
  }
}
