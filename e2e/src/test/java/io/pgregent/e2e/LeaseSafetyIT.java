package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FaultProxy;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import io.pgregent.testsupport.postgres.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A primary is never writable past its lease. Three agents (ttl 10, loop_wait 2, retry_timeout 3)
 * through a real etcd, each behind its own fault proxy (and reached by its peers through another in
 * front of its REST API); a checker samples every member every 100 ms. Each case injects one fault,
 * waits for one primary again (a liveness bound, not a timing assertion), and asserts that no
 * sample saw two writable primaries or two members answering 200 on {@code /primary}.
 */
@Timeout(600)
class LeaseSafetyIT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(() -> LeaseSafetyIT.agents, RegentAgent::logTail);

  private static final String SCOPE = "lease";
  private static final int TTL = 10;
  private static EtcdServer etcd;
  private static Path base;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();
  private static final Map<String, FaultProxy> proxies = new LinkedHashMap<>();

  /** While this file exists, every member's {@code before_stop} hangs for 50 s. */
  private static Path slowStop;

  /** While this file exists, every member's {@code pre_promote} takes 1.5 × ttl. */
  private static Path slowPromote;

  /** Files the members' scripts read and write (writable by PostgreSQL's OS user). */
  private static Path flags;

  /** While this file exists, the first {@code pre_promote} to run exits 1 (later ones pass). */
  private static Path failPromote;

  /** Created by the {@code pre_promote} that failed. */
  private static Path promoteFailed;

  /**
   * While this file exists, every postmaster takes 1.5 × ttl to start (a {@code bin_dir} whose
   * {@code postgres} is a wrapper, as packagers and operators install them); each slow start
   * appends a line to {@link #slowStarts}.
   */
  private static Path slowStart;

  private static Path slowStarts;

  private static final int SLOW_SECONDS = TTL * 3 / 2;

  /** What a member logs once it runs as the leader (the decision to promote is logged before). */
  private static final String LED = "the leader with the lock";

  /** A fault proxy in front of each member's REST API: its published {@code connect_address}. */
  private static final Map<String, FaultProxy> restProxies = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-lease");
    slowStop = base.resolve("slow-stop");
    Path beforeStop = script("before-stop.sh", "[ -f " + slowStop + " ] && sleep 50", "exit 0");
    slowPromote = base.resolve("slow-promote");
    flags = Files.createDirectory(base.resolve("flags"));
    Files.setPosixFilePermissions(flags, PosixFilePermissions.fromString("rwxrwxrwx"));
    failPromote = flags.resolve("fail-promote");
    promoteFailed = flags.resolve("promote-failed");
    Path prePromote =
        script(
            "pre-promote.sh",
            "[ -f " + slowPromote + " ] && sleep " + SLOW_SECONDS,
            // mkdir is atomic: exactly one member fails.
            "[ -f " + failPromote + " ] && mkdir " + promoteFailed + " 2>/dev/null && exit 1",
            "exit 0");
    Path binDir = slowStartingBinDir();
    for (String name : List.of("pg0", "pg1", "pg2")) {
      FaultProxy proxy = FaultProxy.to("127.0.0.1", etcd.clientPort());
      proxies.put(name, proxy);
      RegentAgent agent =
          new RegentAgent(
              base,
              SCOPE,
              name,
              proxy.hostAndPort(),
              Map.of(),
              TTL,
              2,
              3,
              "  bin_dir: "
                  + binDir
                  + "\n  before_stop: "
                  + beforeStop
                  + "\n  pre_promote: "
                  + prePromote
                  + "\n",
              "  fence:\n    mode: required\n");
      FaultProxy rest = FaultProxy.to("127.0.0.1", agent.apiPort());
      restProxies.put(name, rest);
      agent.restConnectAddress(rest.hostAndPort());
      agents.put(name, agent);
    }
    agents.values().forEach(RegentAgent::start);
  }

  @AfterAll
  static void stopCluster() {
    try {
      Members.stopAll(agents.values(), etcd, base);
    } finally {
      proxies.values().forEach(FaultProxy::close);
      restProxies.values().forEach(FaultProxy::close);
    }
  }

  /**
   * Every case starts from the whole cluster up, whatever the case before left: every agent
   * running, every link to the store and to the REST APIs passing, no fault flag set, one leader
   * and the others streaming.
   */
  @BeforeEach
  void startFromAHealthyCluster() throws Exception {
    proxies.values().forEach(FaultProxy::restore);
    restProxies.values().forEach(FaultProxy::restore);
    for (Path flag :
        List.of(slowStop, slowPromote, failPromote, promoteFailed, slowStart, slowStarts)) {
      Files.deleteIfExists(flag);
    }
    long restored = Instant.now().getEpochSecond() + 1;
    agents.keySet().forEach(LeaseSafetyIT::restartIfDown);
    awaitHealthy();
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> agents.values().stream().allMatch(a -> Members.readTheStoreSince(a, restored)));
  }

  /** An executable shell script in the base directory, one command a line. */
  static Path script(String name, String... lines) throws Exception {
    Path file = base.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /**
   * A {@code bin_dir} of links to PostgreSQL's programs, except {@code postgres}, a wrapper that
   * delays the postmaster's start while {@link #slowStart} exists ({@code postgres -V} stays fast),
   * and {@code pg_ctl}, a copy, so that it runs the wrapper found beside it.
   */
  static Path slowStartingBinDir() throws Exception {
    Path real = TestPostgres.binDir();
    Path bin = Files.createDirectory(base.resolve("bin"));
    try (java.util.stream.Stream<Path> programs = Files.list(real)) {
      for (Path p : programs.toList()) {
        Files.createSymbolicLink(bin.resolve(p.getFileName()), p);
      }
    }
    Files.delete(bin.resolve("pg_ctl"));
    Files.copy(real.resolve("pg_ctl"), bin.resolve("pg_ctl"));
    Files.setPosixFilePermissions(
        bin.resolve("pg_ctl"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.delete(bin.resolve("postgres"));
    slowStart = flags.resolve("slow-start");
    slowStarts = flags.resolve("slow-starts");
    Path wrapper =
        script(
            "bin/postgres",
            "case \"$1\" in -V|--version|-C|--describe-config|--single) ;; *)",
            "  [ -f "
                + slowStart
                + " ] && echo \"$$\" >> "
                + slowStarts
                + " && sleep "
                + SLOW_SECONDS,
            "esac",
            "exec " + real.resolve("postgres") + " \"$@\"");
    return wrapper.getParent();
  }

  /** How long each member's log is now: what a case logged starts there. */
  static Map<String, Integer> logPositions() {
    Map<String, Integer> at = new LinkedHashMap<>();
    agents.forEach((n, a) -> at.put(n, a.log().length()));
    return at;
  }

  /** The members whose log, since {@code from}, contains {@code text}. */
  static List<String> logged(Map<String, Integer> from, String text) {
    return agents.entrySet().stream()
        .filter(e -> e.getValue().log().substring(from.get(e.getKey())).contains(text))
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Sets one dynamic configuration key through {@code member}'s REST API (null removes it). */
  static int setDynamic(String member, String key, Object value) {
    return agents
        .get(member)
        .send("PATCH", "/config", "{\"" + key + "\": " + value + "}", Duration.ofSeconds(5))
        .status();
  }

  /** Turns slow starts on and kills the leader's postmaster (its agent lives); returns when. */
  static long crashPostmasterWithSlowStarts(String leader) throws Exception {
    Files.writeString(slowStart, "");
    long at = System.nanoTime();
    agents.get(leader).killPostmaster();
    return at;
  }

  /** Waits until {@code member} logged {@code text} since {@code from}. */
  static void awaitLogged(Map<String, Integer> from, String text, String member) {
    await().atMost(Duration.ofSeconds(10)).until(() -> logged(from, text).contains(member));
  }

  /** Starts the agent of {@code member} again, unless it runs. */
  static void restartIfDown(String member) {
    if (!agents.get(member).isAlive()) {
      agents.get(member).start();
    }
  }

  static void report(String what, long sinceNanos) {
    System.err.printf(
        "LeaseSafetyIT: %s after %.1f s%n", what, (System.nanoTime() - sinceNanos) / 1e9);
  }

  /** Waits for one leader with every other live member streaming, and returns the leader. */
  static String awaitHealthy() {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Members.healthy(agents));
    return Members.leader(agents).orElseThrow();
  }

  /** Waits until a member other than {@code old} is the one primary, within 3 × ttl. */
  static String awaitNewLeader(String old) {
    return awaitNewLeaderWithin(old, Duration.ofSeconds(3L * TTL));
  }

  static List<RegentAgent> members() {
    return new ArrayList<>(agents.values());
  }

  /** Commits a row every 20 ms to whichever member is primary, through the multi-host URL. */
  static final class Writer implements AutoCloseable {
    final AtomicLong committed = new AtomicLong();
    private volatile boolean running = true;
    private final Thread thread;

    Writer() {
      String url =
          "jdbc:postgresql://"
              + agents.values().stream()
                  .map(a -> "127.0.0.1:" + a.pgPort())
                  .collect(Collectors.joining(","))
              + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=2";
      thread =
          new Thread(
              () -> {
                while (running) {
                  try (Connection c = DriverManager.getConnection(url, "postgres", "su-secret");
                      Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE IF NOT EXISTS lease_writes (id bigint)");
                    while (running) {
                      st.execute("INSERT INTO lease_writes VALUES (" + committed.get() + ")");
                      committed.incrementAndGet();
                      Thread.sleep(20);
                    }
                  } catch (InterruptedException e) {
                    return;
                  } catch (Exception e) {
                    // the primary went away: reconnect to whichever member is primary now
                  }
                }
              },
              "lease-writer");
      thread.setDaemon(true);
      thread.start();
    }

    /** Waits until more than {@code n} rows were committed after the call. */
    void awaitMoreCommits(int n) {
      long before = committed.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> committed.get() > before + n);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.interrupt();
      thread.join(5000);
    }
  }

  /**
   * Blackholes {@code leader}'s store link while a writer commits: another member promotes, commits
   * go on, no sample saw two primaries, and {@code thenCheck} holds, all before the link is back.
   */
  static void blackholeWhileWriting(String leader, Runnable thenCheck) throws Exception {
    try (Writer writer = new Writer();
        SplitBrainChecker checker = new SplitBrainChecker(members())) {
      writer.awaitMoreCommits(10);
      proxies.get(leader).blackhole();
      String next = awaitNewLeader(leader);
      writer.awaitMoreCommits(10);
      checker.assertOnePrimaryThroughout();
      thenCheck.run();
      assertThat(next).isNotEqualTo(leader);
    } finally {
      proxies.get(leader).restore();
    }
  }

  @Test
  void aLeaderWhoseStoreLinkIsBlackholedStopsWritingBeforeAnotherPromotes() throws Exception {
    String leader = awaitHealthy();
    blackholeWhileWriting(leader, () -> {});
    awaitHealthy();
  }

  @Test
  void aDemotionStuckInBeforeStopDoesNotOutliveTheLease() throws Exception {
    String leader = awaitHealthy();
    Files.writeString(slowStop, "");
    try {
      blackholeWhileWriting(
          leader,
          () ->
              assertThat(agents.get(leader).log())
                  .contains("the leader lease deadline passed")
                  .contains("without a renewal: stopping PostgreSQL"));
    } finally {
      Files.deleteIfExists(slowStop);
    }
    awaitHealthy();
  }

  @Test
  void aPrePromoteLongerThanTheTtlKeepsTheLockAndYieldsOnePrimary() throws Exception {
    String leader = awaitHealthy();
    Files.writeString(slowPromote, "");
    Map<String, Integer> logStart = logPositions();
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      agents.get(leader).crash();
      awaitNewLeaderWithin(leader, Duration.ofSeconds(2L * TTL + TTL * 3 / 2));
      String next = Members.leader(agents).orElseThrow();
      assertThat(agents.get(next).log().substring(logStart.get(next)))
          .contains("promoted self to leader");
      // The member that waited through pre_promote kept the lock: nobody else took it meanwhile.
      agents.entrySet().stream()
          .filter(e -> !e.getKey().equals(leader) && !e.getKey().equals(next))
          .forEach(
              e ->
                  assertThat(e.getValue().log().substring(logStart.get(e.getKey())))
                      .doesNotContain("promoted self to leader"));
      checker.assertOnePrimaryThroughout();
    } finally {
      Files.deleteIfExists(slowPromote);
    }
    agents.get(leader).start();
    awaitHealthy();
  }

  @Test
  void aRestartThatOutlivesTheLeaseDoesNotBringBackASecondPrimary() throws Exception {
    String leader = awaitHealthy();
    Files.writeString(slowStop, "");
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      java.util.concurrent.CompletableFuture<RegentAgent.Answer> restart =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> agents.get(leader).send("POST", "/restart", "{}", Duration.ofSeconds(120)));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> agents.get(leader).log().contains("restarting PostgreSQL as requested"));
      proxies.get(leader).blackhole();
      String next = awaitNewLeader(leader);
      // The restart ends after the lease: PostgreSQL must come back read-only.
      Files.deleteIfExists(slowStop);
      restart.get(120, java.util.concurrent.TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> agents.get(leader).status("/replica") == 200 || !writableNow(leader));
      checker.assertOnePrimaryThroughout();
      assertThat(next).isNotEqualTo(leader);
    } finally {
      Files.deleteIfExists(slowStop);
      proxies.get(leader).restore();
    }
    awaitHealthy();
  }

  @Test
  void aFrozenLeadersAgentLeavesNoSecondWritablePrimaryWithTheFence() throws Exception {
    String leader = awaitHealthy();
    RegentAgent frozen = agents.get(leader);
    try (Writer writer = new Writer();
        SplitBrainChecker checker = new SplitBrainChecker(members())) {
      writer.awaitMoreCommits(10);
      frozen.freeze();
      try {
        long frozenAt = System.nanoTime();
        String next = awaitNewLeader(leader);
        assertThat(next).isNotEqualTo(leader);
        // Frozen for 1.5 × ttl in all, then thawed: its REST API must not say "primary" again.
        await()
            .atMost(Duration.ofSeconds(2L * TTL))
            .until(() -> System.nanoTime() - frozenAt > TTL * 1_500_000_000L);
      } finally {
        frozen.thaw();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> Members.streaming(frozen));
      checker.assertOnePrimaryThroughout();
    }
    awaitHealthy();
  }

  @Test
  void aKilledLeadersAgentLeavesNoSecondWritablePrimaryWithTheFence() throws Exception {
    String leader = awaitHealthy();
    RegentAgent killed = agents.get(leader);
    try (Writer writer = new Writer();
        SplitBrainChecker checker = new SplitBrainChecker(members())) {
      writer.awaitMoreCommits(10);
      killed.killAgent();
      String next = awaitNewLeader(leader);
      assertThat(next).isNotEqualTo(leader);
      // The fence stopped the orphaned PostgreSQL before the lease could pass.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> killed.postmasterPid().flatMap(ProcessHandle::of).isEmpty());
      checker.assertOnePrimaryThroughout();
    }
    // A restarted agent adopts the fence that is still running, and rejoins.
    long fence = ClusterMember.fencePid(base.resolve(leader)).orElseThrow();
    killed.start();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Members.streaming(killed));
    assertThat(ClusterMember.fencePid(base.resolve(leader))).contains(fence);
    assertThat(killed.log()).contains("adopted the running fence (pid " + fence + ")");
    awaitHealthy();
  }

  @Test
  void aPrimaryWhoseSuperuserIsLockedOutIsNeverWritableBesideTheNewPrimary() throws Exception {
    String leader = awaitHealthy();
    RegentAgent locked = agents.get(leader);
    assertThat(setDynamic(leader, "primary_start_timeout", 5)).isEqualTo(200);
    Path hba = base.resolve(leader).resolve("pg_hba.conf");
    String original = Files.readString(hba);
    Map<String, Integer> from = logPositions();
    // The agent connects as the superuser over TCP; the sampler connects as another user.
    try (SplitBrainChecker checker = new SplitBrainChecker(members(), "replicator", "rep-secret")) {
      try (Connection c = locked.connect();
          Statement st = c.createStatement()) {
        Files.writeString(hba, "host all postgres 127.0.0.1/32 reject\n" + original);
        st.execute("SELECT pg_reload_conf()");
        // The rule applies to new connections: end the agent's pooled ones.
        st.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE usename = 'postgres' AND backend_type = 'client backend'"
                + " AND pid <> pg_backend_pid()");
      }
      // Every status query is refused at once: the loop goes on cycling and renewing the lock,
      // gives the unqueryable primary up after primary_start_timeout by its own decision, and
      // another member promotes. The lease guard never has to step in for a stalled loop.
      awaitNewLeaderWithin(leader, Duration.ofSeconds(60));
      awaitLogged(from, "primary start has timed out, releasing the leader lock", leader);
      assertThat(logged(from, "the leader lease deadline passed")).doesNotContain(leader);
      checker.assertOnePrimaryThroughout();
    } finally {
      Files.writeString(hba, original);
      setDynamic(leader, "primary_start_timeout", null);
    }
    awaitHealthy();
  }

  @Test
  void aCrashedPrimaryThatTakesLongerThanTheTtlToStartKeepsTheLockAndComesBackAlone()
      throws Exception {
    String leader = awaitHealthy();
    Map<String, Integer> from = logPositions();
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      long crashed = crashPostmasterWithSlowStarts(leader);
      // As Patroni within primary_start_timeout (300 s): the leader restarts its PostgreSQL and
      // keeps renewing the lock meanwhile, so nobody else promotes; the same member is back.
      await()
          .atMost(Duration.ofSeconds(SLOW_SECONDS + 2L * TTL))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  Files.exists(slowStarts)
                      && Members.primaries(agents).equals(List.of(leader))
                      && writableNow(leader));
      report("the crashed primary was back", crashed);
      assertThat(logged(from, "starting primary after failure")).containsExactly(leader);
      awaitLogged(from, LED, leader);
      assertThat(logged(from, LED)).containsExactly(leader);
      checker.assertOnePrimaryThroughout();
    } finally {
      Files.deleteIfExists(slowStart);
    }
    awaitHealthy();
  }

  @Test
  void aCrashedPrimaryStillStartingAtPrimaryStartTimeoutHandsOverToAnotherMember()
      throws Exception {
    String leader = awaitHealthy();
    int timeout = 5;
    assertThat(setDynamic(leader, "primary_start_timeout", timeout)).isEqualTo(200);
    Map<String, Integer> from = logPositions();
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      long crashed = crashPostmasterWithSlowStarts(leader);
      // As Patroni: past primary_start_timeout the start is abandoned and the lock handed on.
      String next = awaitNewLeaderWithin(leader, Duration.ofSeconds(timeout + 2L * TTL));
      report("primary_start_timeout: another member took over", crashed);
      awaitLogged(from, "primary startup is taking too long", leader);
      assertThat(logged(from, "primary startup is taking too long")).containsExactly(leader);
      assertThat(next).isNotEqualTo(leader);
      checker.assertOnePrimaryThroughout();
    } finally {
      Files.deleteIfExists(slowStart);
      setDynamic(leader, "primary_start_timeout", null);
    }
    awaitHealthy();
  }

  @Test
  void aPrePromoteThatFailsHandsTheLockOnAndAnotherMemberPromotes() throws Exception {
    String leader = awaitHealthy();
    Map<String, Integer> from = logPositions();
    Files.writeString(failPromote, "");
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      long crashed = System.nanoTime();
      agents.get(leader).crash();
      String next = awaitNewLeaderWithin(leader, Duration.ofSeconds(2L * TTL));
      report("a primary after a failed pre_promote", crashed);
      assertThat(promoteFailed).exists();
      List<String> failed = logged(from, "Promote failed: pre_promote exited with 1");
      assertThat(failed).hasSize(1).doesNotContain(next, leader);
      assertThat(logged(from, "releasing the leader lock")).containsExactly(failed.get(0));
      awaitLogged(from, LED, next);
      assertThat(logged(from, LED)).containsExactly(next);
      checker.assertOnePrimaryThroughout();
    } finally {
      Files.deleteIfExists(failPromote);
      Files.deleteIfExists(promoteFailed);
      restartIfDown(leader);
    }
    awaitHealthy();
  }

  @Test
  void aFailsafeLeaderCutFromTheStoreWhileAReplicaRestartsDemotesAndOneMemberTakesOver()
      throws Exception {
    String leader = awaitHealthy();
    RegentAgent primary = agents.get(leader);
    assertThat(setDynamic(leader, "failsafe_mode", true)).isEqualTo(200);
    List<String> replicas = agents.keySet().stream().filter(n -> !n.equals(leader)).toList();
    String restarting = replicas.get(0);
    Map<String, Integer> from = logPositions();
    try {
      // Every member is in the failsafe topology before the fault.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                String body = primary.send("GET", "/failsafe", null, Duration.ofSeconds(2)).body();
                return agents.keySet().stream().allMatch(n -> body.contains("\"" + n + "\""));
              });
      try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
        agents.get(restarting).killAgent();
        long cut = System.nanoTime();
        proxies.get(leader).cut();
        // The restarting member cannot accept the leader's failsafe call: it must demote.
        String next = awaitNewLeaderWithin(leader, Duration.ofSeconds(3L * TTL));
        report("failsafe: a new primary", cut);
        assertThat(next).isEqualTo(replicas.get(1));
        assertThat(logged(from, "demoting self because DCS is not accessible"))
            .containsExactly(leader);
        checker.assertOnePrimaryThroughout();
      } finally {
        proxies.get(leader).restore();
        restartIfDown(restarting);
      }
      awaitHealthy();
    } finally {
      setDynamic(leader, "failsafe_mode", null);
    }
  }

  @Test
  void replicasThatCannotReachEachOthersRestApiPromoteExactlyOne() throws Exception {
    String leader = awaitHealthy();
    Map<String, Integer> from = logPositions();
    try (SplitBrainChecker checker = new SplitBrainChecker(members())) {
      // Members reach each other's REST API only through these proxies; the tests go direct.
      restProxies.values().forEach(FaultProxy::blackhole);
      long crashed = System.nanoTime();
      agents.get(leader).crash();
      String next = awaitNewLeaderWithin(leader, Duration.ofSeconds(2L * TTL));
      report("REST partition: a new primary", crashed);
      String other =
          agents.keySet().stream()
              .filter(n -> !n.equals(leader) && !n.equals(next))
              .findFirst()
              .orElseThrow();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> Members.streaming(agents.get(other)));
      awaitLogged(from, LED, next);
      assertThat(logged(from, LED)).containsExactly(next);
      checker.assertOnePrimaryThroughout();
    } finally {
      restProxies.values().forEach(FaultProxy::restore);
      restartIfDown(leader);
    }
    awaitHealthy();
  }

  static String awaitNewLeaderWithin(String old, Duration bound) {
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Members.primaries(agents).stream().anyMatch(n -> !n.equals(old)));
    return Members.primaries(agents).stream().filter(n -> !n.equals(old)).findFirst().orElseThrow();
  }

  static boolean writableNow(String member) {
    return agents.get(member).writable();
  }
}
