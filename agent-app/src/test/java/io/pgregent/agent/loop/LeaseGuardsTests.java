package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.FenceSettings;
import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.config.LeaseSettings;
import io.pgregent.agent.config.LogSettings;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.config.WatchdogSettings;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A leader's lease guards, with a real agent, PostgreSQL and etcd: the watchdog (Patroni's testing
 * driver, writing to a file) is armed and pinged and the fence armed while it leads; pause disarms
 * both and keeps them so; a clean stop ends the fence.
 */
@Timeout(300)
class LeaseGuardsTests {

  private EtcdServer etcd;
  private Path base;
  private ConfigurableApplicationContext agent;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (etcd != null) {
      etcd.close();
    }
    if (base != null) {
      fencePid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
      // Stopped while paused, the agent leaves PostgreSQL running, as Patroni does.
      postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
      PostgresTestEnvironment.deleteTree(base);
    }
  }

  private Path fenceDir() {
    return base.resolve("guarded.fence");
  }

  private Optional<Long> fencePid() {
    try {
      return Optional.of(Long.parseLong(Files.readString(fenceDir().resolve("fence.pid")).strip()));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private Optional<Long> postmasterPid() {
    try {
      return Optional.of(
          Long.parseLong(
              Files.readAllLines(base.resolve("guarded").resolve("postmaster.pid"))
                  .get(0)
                  .strip()));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private String read(Path file) {
    try {
      return Files.readString(file);
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void theLeaderArmsItsGuardsAndPauseDisarmsThem() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-guards");
    Path device = base.resolve("watchdog");
    Files.writeString(device, "");
    AgentConfig plain =
        TestMembers.member(
            base, "guards", "guarded", "127.0.0.1:" + etcd.clientPort(), Tags.none());
    AgentConfig config =
        new AgentConfig(
            plain.scope(),
            plain.namespace(),
            plain.name(),
            plain.restapi(),
            plain.postgresql(),
            plain.bootstrapDcs(),
            plain.tags(),
            plain.properties(),
            new LeaseSettings(
                new WatchdogSettings(
                    GuardMode.REQUIRED, device.toString(), 5, WatchdogSettings.Driver.TESTING),
                new FenceSettings(GuardMode.REQUIRED, fenceDir())),
            LogSettings.DEFAULT);
    agent = RegentApplication.run(config);
    HaLoop loop = agent.getBean(HaLoop.class);
    TestMembers.awaitLock(loop);
    // ttl 10 minus the safety margin of 5, then a ping per renewal.
    await().atMost(Duration.ofSeconds(10)).until(() -> read(device).matches("Ctimeout=5\n1+"));
    assertThat(loop.leaseGuard().valid()).isTrue();
    assertThat(read(fenceDir().resolve("fence.log"))).contains("armed: deadline in");

    HttpResponse<String> paused =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://" + config.restapi().connectAddress() + "/config"))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"pause\": true}"))
                    .header("Content-Type", "application/json")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(paused.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> read(device).endsWith("V"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> read(fenceDir().resolve("fence.log")).contains("disarmed"));
    assertThat(loop.leaseGuard().valid()).isFalse();
    // Paused for a few cycles (loop_wait 2): the leader keeps its lock, nothing is armed again.
    String atPause = read(device);
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              assertThat(read(device)).isEqualTo(atPause);
              return System.nanoTime() > until;
            });
    assertThat(loop.snapshot().map(AgentSnapshot::holdsLock)).contains(true);

    long fence = fencePid().orElseThrow();
    agent.close();
    agent = null;
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(fence).map(p -> !p.isAlive()).orElse(true));
    assertThat(List.of(read(fenceDir().resolve("fence.log")).split("\n")))
        .anyMatch(l -> l.contains("exiting on request"));
    assertThat(postmasterPid().flatMap(ProcessHandle::of).map(ProcessHandle::isAlive))
        .as("PostgreSQL left running by an agent stopped in pause")
        .contains(true);
  }
}
