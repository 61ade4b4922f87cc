package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.Callbacks;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CallbackExecutorTests {

  Path base;
  Path out;
  CallbackExecutor executor;

  @BeforeEach
  void setUp() {
    base = PostgresTestEnvironment.newBaseDir("regent-callbacks");
    out = TestNodes.sharedDir(base, "out");
  }

  @AfterEach
  void tearDown() {
    if (executor != null) {
      executor.close();
    }
    PostgresTestEnvironment.deleteTree(base);
  }

  @Test
  void aNewCallbackKillsTheStillRunningPreviousOneAndGetsActionRoleAndScope() throws Exception {
    // The script records its arguments and pid, then waits for a long time.
    Path script =
        TestNodes.script(
            base, "cb.sh", "echo \"$1 $2 $3 $$\" >> " + out.resolve("calls") + "\nexec sleep 120");
    String cmd = script.toString();
    executor =
        new CallbackExecutor(
            new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser())),
            new Callbacks(cmd, cmd, cmd, cmd, cmd),
            "demo");

    executor.call(CallbackAction.ON_START, PostgresRole.PRIMARY);
    await().atMost(Duration.ofSeconds(20)).until(() -> lines().size() == 1);
    long firstPid = Long.parseLong(lines().get(0).split(" ")[3]);
    assertThat(lines().get(0)).startsWith("on_start primary demo ");
    assertThat(ProcessHandle.of(firstPid)).isPresent();

    executor.call(CallbackAction.ON_ROLE_CHANGE, PostgresRole.REPLICA);

    await().atMost(Duration.ofSeconds(20)).until(() -> lines().size() == 2);
    assertThat(lines().get(1)).startsWith("on_role_change replica demo ");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> ProcessHandle.of(firstPid).map(h -> !h.isAlive()).orElse(true));
  }

  @Test
  void callbacksRunFromTheAgentsWorkingDirectory() throws Exception {
    // Patroni's acceptance suite configures "python3 features/callback2.py …", which writes to
    // "data/<name>/…": both relative to where the agent was started.
    Path script = TestNodes.script(base, "pwd.sh", "pwd >> " + out.resolve("dirs"));
    executor =
        new CallbackExecutor(
            new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser())),
            new Callbacks(null, null, null, null, script.toString()),
            "demo");

    executor.call(CallbackAction.ON_ROLE_CHANGE, PostgresRole.PRIMARY);

    Path dirs = out.resolve("dirs");
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(dirs) && Files.size(dirs) > 0);
    assertThat(Files.readAllLines(dirs))
        .containsExactly(Path.of("").toAbsolutePath().toRealPath().toString());
  }

  @Test
  void unconfiguredCallbacksDoNothing() throws Exception {
    executor =
        new CallbackExecutor(
            new CommandRunner(OsUser.resolve(PostgresTestEnvironment.osUser())),
            Callbacks.NONE,
            "demo");
    executor.call(CallbackAction.ON_START, PostgresRole.PRIMARY);
    assertThat(lines()).isEmpty();
  }

  private List<String> lines() throws Exception {
    Path f = out.resolve("calls");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }
}
