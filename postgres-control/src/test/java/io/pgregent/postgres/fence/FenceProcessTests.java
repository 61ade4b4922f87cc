package io.pgregent.postgres.fence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.postgres.os.OsUser;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import io.pgregent.testsupport.postgres.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fence against a real PostgreSQL 15, run as PostgreSQL's OS user: keep-alives keep it up,
 * missed ones stop it at (never before) the deadline, disarm and stop leave it alone, the fence
 * outlives a killed agent and a new one adopts it, stale pid files are not adopted.
 */
@Timeout(120)
class FenceProcessTests {

  private static final Duration LONG = Duration.ofSeconds(30);

  private final OsUser user = OsUser.resolve(PostgresTestEnvironment.osUser());
  private final List<Process> agents = new ArrayList<>();
  private final List<Long> fencePids = new ArrayList<>();
  private Path base;
  private Path state;
  private TestPostgres pg;
  private ScheduledExecutorService scheduler;

  @BeforeEach
  void setUp() {
    base = PostgresTestEnvironment.newBaseDir("regent-fence");
    state = base.resolve("fence");
    pg = TestPostgres.start("fence", Duration.ofSeconds(60));
    scheduler = Executors.newScheduledThreadPool(2);
  }

  @AfterEach
  void tearDown() {
    scheduler.shutdownNow();
    agents.forEach(Process::destroyForcibly);
    // Every fence a test started is stopped by its pid, whatever the test's outcome.
    FenceProcess.runningFence(state).ifPresent(h -> fencePids.add(h.pid()));
    for (long pid : fencePids) {
      ProcessHandle.of(pid)
          .ifPresent(
              h -> {
                h.destroyForcibly();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(ex -> null).join();
              });
    }
    pg.close();
    PostgresTestEnvironment.deleteTree(base);
  }

  private FenceProcess fence() {
    return fenceFor(pg.dataDir());
  }

  /** Starts or adopts the fence for {@code dataDir}; it is stopped by its pid after the test. */
  private FenceProcess fenceFor(Path dataDir) {
    FenceProcess fence = FenceProcess.startOrAdopt(state, dataDir, user);
    fencePids.add(fence.pid());
    return fence;
  }

  private ScheduledFuture<?> keepAliveEvery200ms(FenceProcess fence, Duration remaining) {
    return scheduler.scheduleAtFixedRate(
        () -> fence.keepAlive(remaining), 0, 200, TimeUnit.MILLISECONDS);
  }

  private String fenceLog() throws IOException {
    return Files.readString(state.resolve(FenceProcess.LOG_FILE), StandardCharsets.UTF_8);
  }

  private boolean acceptsConnections() {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
        Statement s = c.createStatement()) {
      return s.execute("SELECT 1");
    } catch (SQLException ex) {
      return false;
    }
  }

  /** Completes with System.nanoTime() when the postmaster exits. */
  private CompletableFuture<Long> postmasterExit() {
    return ProcessHandle.of(pg.pid()).orElseThrow().onExit().thenApply(h -> System.nanoTime());
  }

  /** Starts a stand-in agent JVM that starts or adopts the fence and keeps it alive. */
  private long agentInOwnJvm(Duration remaining) throws IOException {
    Path out = Files.createTempFile(base, "agent", ".out");
    Process agent =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                FenceAgentMain.class.getName(),
                state.toString(),
                pg.dataDir().toString(),
                Long.toString(remaining.toMillis()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    agents.add(agent);
    String line =
        await("the stand-in agent's fence")
            .atMost(LONG)
            .until(
                () -> {
                  assertThat(agent.isAlive()).as(() -> read(out)).isTrue();
                  return read(out).lines().filter(l -> l.startsWith("fence ")).findFirst();
                },
                Optional::isPresent)
            .orElseThrow();
    long pid = Long.parseLong(line.substring("fence ".length()).strip());
    fencePids.add(pid);
    return pid;
  }

  /** Over {@code during}, PostgreSQL and the fence stay up, and PostgreSQL accepts connections. */
  private void assertStaysUp(FenceProcess fence, Duration during) {
    await()
        .during(during)
        .atMost(Duration.ofSeconds(10))
        .until(() -> pg.isAlive() && fence.isAlive());
    assertThat(acceptsConnections()).isTrue();
  }

  private void awaitFenceLog(String... lines) {
    await().atMost(LONG).untilAsserted(() -> assertThat(fenceLog()).contains(lines));
  }

  private static void killAgent(Process agent) throws InterruptedException {
    agent.destroyForcibly();
    assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  /** The pid file names {@code pid}, not a fence of this directory: a new fence starts. */
  private void assertANewFenceStartsOverAPidFileNaming(long pid) throws IOException {
    Files.writeString(state.resolve(FenceProcess.PID_FILE), pid + "\n");
    FenceProcess fence = fence();
    assertThat(fence.adopted()).isFalse();
    assertThat(fence.pid()).isNotEqualTo(pid);
    fence.keepAlive(Duration.ofSeconds(5));
    assertThat(fence.isAlive()).isTrue();
    fence.stop();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException ex) {
      return "";
    }
  }

  @Test
  void keepAlivesKeepPostgresRunning() throws IOException {
    FenceProcess fence = fence();
    // Two threads, as the HA loop and a guard thread: their lines never interleave.
    keepAliveEvery200ms(fence, Duration.ofSeconds(2));
    keepAliveEvery200ms(fence, Duration.ofSeconds(2));

    // Twice the announced deadline.
    assertStaysUp(fence, Duration.ofSeconds(4));
    assertThat(fenceLog())
        .contains("armed: deadline in 2000 ms")
        .doesNotContain("deadline passed")
        .doesNotContain("ignored");
  }

  @Test
  void missedKeepAlivesStopPostgresNoEarlierThanTheDeadline() throws Exception {
    FenceProcess fence = fence();
    long postmaster = pg.pid();
    CompletableFuture<Long> exited = postmasterExit();
    Duration remaining = Duration.ofMillis(1500);

    long sent = System.nanoTime();
    fence.keepAlive(remaining);

    long exitedAt = exited.get(LONG.toSeconds(), TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(exitedAt - sent)).isGreaterThanOrEqualTo(remaining);
    assertThat(pg.isAlive()).isFalse();
    assertThat(acceptsConnections()).isFalse();
    awaitFenceLog(
        "sent SIGQUIT (immediate shutdown) to postmaster " + postmaster + " of " + pg.dataDir(),
        "postmaster " + postmaster + " has exited");
    // It stays, disarmed, for the agent to arm again.
    assertThat(fence.isAlive()).isTrue();
    fence.keepAlive(Duration.ofSeconds(5));
    fence.disarm();
  }

  @Test
  void aPostmasterThatIgnoresTheImmediateShutdownIsKilled() throws Exception {
    FenceProcess fence = fence();
    long postmaster = pg.pid();
    List<String> lock = Files.readAllLines(pg.dataDir().resolve("postmaster.pid"));
    CompletableFuture<Long> exited = postmasterExit();
    signal("STOP", postmaster);
    try {
      fence.keepAlive(Duration.ofMillis(200));

      exited.get(LONG.toSeconds(), TimeUnit.SECONDS);
      // The fence logs after it signals: the exit can come first.
      await()
          .atMost(LONG)
          .untilAsserted(
              () ->
                  assertThat(fenceLog())
                      .contains("sent SIGQUIT (immediate shutdown) to postmaster " + postmaster)
                      .containsPattern(
                          "postmaster " + postmaster + " still ran \\d+ ms after SIGQUIT"));
    } finally {
      // Killed, the postmaster leaves its small System V segment behind: remove it.
      if (lock.size() > 6 && lock.get(6).strip().matches("\\d+\\s+\\d+")) {
        String shmid = lock.get(6).strip().split("\\s+")[1];
        new ProcessBuilder("ipcrm", "-m", shmid).start().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aDisarmedFenceStopsNothing() throws IOException {
    FenceProcess fence = fence();
    fence.keepAlive(Duration.ofMillis(500));
    fence.disarm();

    assertStaysUp(fence, Duration.ofSeconds(3));
    assertThat(fenceLog()).contains("disarmed").doesNotContain("deadline passed");
  }

  @Test
  void theFenceOutlivesAKilledAgentAndStopsPostgresAtTheDeadline() throws Exception {
    CompletableFuture<Long> exited = postmasterExit();
    long fencePid = agentInOwnJvm(Duration.ofSeconds(2));
    // Its own session: no signal to the agent's process group reaches it.
    assertThat(sessionId(fencePid)).isEqualTo(fencePid);

    killAgent(agents.get(0));
    long killed = System.nanoTime();
    assertThat(pg.isAlive()).isTrue();

    long exitedAt = exited.get(LONG.toSeconds(), TimeUnit.SECONDS);
    // The last keep-alive went out before the kill, so the deadline is at most 2 s after it.
    assertThat(Duration.ofNanos(exitedAt - killed)).isLessThan(LONG);
    assertThat(acceptsConnections()).isFalse();
    assertThat(ProcessHandle.of(fencePid).map(ProcessHandle::isAlive)).contains(true);
    awaitFenceLog("sent SIGQUIT (immediate shutdown) to postmaster");
  }

  @Test
  void aFrozenAgentCannotKeepPostgresRunning() throws Exception {
    CompletableFuture<Long> exited = postmasterExit();
    agentInOwnJvm(Duration.ofSeconds(2));
    Process agent = agents.get(0);

    signal("STOP", agent.pid());
    try {
      exited.get(LONG.toSeconds(), TimeUnit.SECONDS);
      assertThat(acceptsConnections()).isFalse();
      awaitFenceLog("sent SIGQUIT (immediate shutdown) to postmaster");
    } finally {
      signal("CONT", agent.pid());
    }
  }

  @Test
  void aNewAgentAdoptsTheRunningFenceAndKeepsPostgresRunning() throws Exception {
    long fencePid = agentInOwnJvm(Duration.ofSeconds(2));
    killAgent(agents.get(0));

    FenceProcess fence = fence();
    keepAliveEvery200ms(fence, Duration.ofSeconds(2));

    assertThat(fence.adopted()).isTrue();
    assertThat(fence.pid()).isEqualTo(fencePid);
    // Well past the dead agent's last deadline.
    assertStaysUp(fence, Duration.ofSeconds(4));
    assertThat(fenceLog()).doesNotContain("deadline passed").doesNotContain("another fence");
  }

  @Test
  void stopEndsTheFenceAndLeavesPostgresRunning() throws IOException {
    FenceProcess fence = fence();
    ProcessHandle process = ProcessHandle.of(fence.pid()).orElseThrow();
    fence.keepAlive(Duration.ofSeconds(1));

    fence.stop();

    assertThat(process.isAlive()).isFalse();
    assertThat(fence.isAlive()).isFalse();
    assertThat(state.resolve(FenceProcess.PID_FILE)).doesNotExist();
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> pg.isAlive());
    assertThat(acceptsConnections()).isTrue();
    assertThat(fenceLog()).contains("exiting on request, disarmed");
  }

  @Test
  void aStalePidFileIsNotAdopted() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
    FenceProcess first = fence();
    first.stop();

    assertANewFenceStartsOverAPidFileNaming(gone.pid());
    // A live process that is not this directory's fence: the postmaster itself.
    assertANewFenceStartsOverAPidFileNaming(pg.pid());
    assertThat(pg.isAlive()).isTrue();
    assertThat(acceptsConnections()).isTrue();
  }

  @Test
  void aKeepAliveToAGoneOrFrozenFenceFailsSoTheAgentCanReact() throws Exception {
    FenceProcess fence = fence();
    fence.keepAlive(Duration.ofSeconds(5));

    ProcessHandle process = ProcessHandle.of(fence.pid()).orElseThrow();
    signal("STOP", fence.pid());
    await().atMost(LONG).until(() -> !fence.isAlive());
    assertThatThrownBy(() -> fence.keepAlive(Duration.ofSeconds(5)))
        .isInstanceOf(FenceException.class)
        .hasMessageContaining("is stopped");
    process.destroyForcibly();
    process.onExit().get(10, TimeUnit.SECONDS);

    FenceProcess restarted = fence();
    assertThat(restarted.pid()).isNotEqualTo(process.pid());
    restarted.keepAlive(Duration.ofSeconds(5));
    ProcessHandle.of(restarted.pid()).orElseThrow().destroyForcibly();
    await().atMost(LONG).until(() -> !restarted.isAlive());
    assertThatThrownBy(() -> restarted.keepAlive(Duration.ofSeconds(5)))
        .isInstanceOf(FenceException.class)
        .hasMessageContaining("has exited");
    assertThat(pg.isAlive()).isTrue();
  }

  @Test
  void aThousandKeepAlivesCostTheFenceLittle() throws Exception {
    FenceProcess fence = fence();
    long before = cpuNanos(fence.pid());
    for (int i = 0; i < 1000; i++) {
      fence.keepAlive(Duration.ofSeconds(10));
    }
    fence.disarm();
    await().atMost(LONG).until(() -> fenceLog().contains("disarmed"));
    long cpu = cpuNanos(fence.pid()) - before;
    long rssKb = rssKb(fence.pid());
    System.out.printf(
        "fence footprint: RSS %d kB, CPU %.1f ms for 1000 keep-alives%n", rssKb, cpu / 1e6);
    // "A few MB": a second agent-sized process would be a hundred times more.
    assertThat(rssKb).isLessThan(16 * 1024);
    assertThat(pg.isAlive()).isTrue();
    fence.stop();
  }

  @Test
  void aFenceGuardingAnotherDataDirectoryIsReplaced() throws IOException {
    Path elsewhere = Files.createDirectories(base.resolve("elsewhere"));
    FenceProcess old = fenceFor(elsewhere);
    ProcessHandle oldProcess = ProcessHandle.of(old.pid()).orElseThrow();
    old.detach();

    FenceProcess fence = fence();

    assertThat(fence.adopted()).isFalse();
    assertThat(fence.pid()).isNotEqualTo(oldProcess.pid());
    assertThat(oldProcess.isAlive()).isFalse();
    fence.keepAlive(Duration.ofMillis(300));
    await().atMost(LONG).until(() -> !pg.isAlive());
  }

  @Test
  void aDisarmedFenceWhoseDataDirectoryIsGoneExits() throws IOException {
    Path data = Files.createDirectories(base.resolve("removed-data"));
    FenceProcess fence = fenceFor(data);
    ProcessHandle process = ProcessHandle.of(fence.pid()).orElseThrow();
    fence.keepAlive(Duration.ofSeconds(5));
    fence.disarm();
    fence.detach();

    // The agent was killed and its member removed: nothing is left to guard.
    PostgresTestEnvironment.deleteTree(data);
    await().atMost(LONG).until(() -> !process.isAlive());
    assertThat(fenceLog()).contains("data directory " + data + " is gone: exiting");
    assertThat(state.resolve(FenceProcess.PID_FILE)).doesNotExist();
  }

  @Test
  void aLinkPlantedInTheFenceDirectoryIsNeverWrittenThrough() throws IOException {
    FenceProcess fence = fence();
    fence.detach();
    Path precious = base.resolve("precious");
    Files.writeString(precious, "precious\n");
    Path fifo = state.resolve(FenceProcess.FIFO);
    Files.delete(fifo);
    Files.createSymbolicLink(fifo, precious);

    assertThatThrownBy(() -> FenceProcess.startOrAdopt(state, pg.dataDir(), user))
        .isInstanceOf(FenceException.class)
        .hasMessageContaining(fifo.toString());
    assertThat(precious).hasContent("precious");
  }

  @Test
  void aFenceThatCannotStartSaysWhy() throws IOException {
    assumeTrue(user.switchUser(), "only root can keep PostgreSQL's user out of a directory");
    Path locked = Files.createDirectories(base.resolve("locked"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));

    assertThatThrownBy(() -> FenceProcess.startOrAdopt(locked.resolve("fence"), pg.dataDir(), user))
        .isInstanceOf(FenceException.class)
        .hasMessageContaining("the fence exited at start")
        .hasMessageContaining("Permission denied");
  }

  @Test
  void aTerminatedFenceSaysSoAndLeavesNoPidFile() throws Exception {
    FenceProcess fence = fence();
    fence.keepAlive(Duration.ofSeconds(1));

    signal("TERM", fence.pid());

    await().atMost(LONG).until(() -> !fence.isAlive());
    assertThat(fenceLog()).contains("terminated by SIGTERM");
    assertThat(state.resolve(FenceProcess.PID_FILE)).doesNotExist();
    assertThatThrownBy(() -> fence.keepAlive(Duration.ofSeconds(1)))
        .isInstanceOf(FenceException.class);
  }

  private static long sessionId(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[3]);
  }

  /** CPU time of {@code pid}: schedstat's nanoseconds, else utime + stime in 10 ms ticks. */
  private static long cpuNanos(long pid) throws IOException {
    Path schedstat = Path.of("/proc", Long.toString(pid), "schedstat");
    if (Files.isReadable(schedstat)) {
      return Long.parseLong(Files.readString(schedstat).split(" ")[0]);
    }
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
  }

  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  private static void signal(String name, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }
}
