package io.pgregent.postgres.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.Credentials;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Found by the chaos rig: with PostgreSQL down, health checks sampling it 10 times a second each
 * waited for a connection (up to the connect timeout) while holding the client's lock, so the HA
 * loop, which resets the client before starting PostgreSQL, never got it and the member stayed down
 * until its agent restarted.
 */
class PostgresClientLockTests {

  @Test
  @Timeout(120)
  void resetBeforeARestartIsNotHeldUpByCallersWaitingForADownServer() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    // Long timeouts: a caller waiting for a connection holds on for a minute.
    PostgresClient client =
        new PostgresClient(
            "127.0.0.1",
            closedPort,
            new Credentials("postgres", "secret", "disable"),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            "lock-test");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger calls = new AtomicInteger();
    List<Thread> checks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                while (!stop.get()) {
                  calls.incrementAndGet();
                  try {
                    client.status();
                  } catch (RuntimeException expected) {
                    // the server is down: every sample fails, after waiting for a connection
                  }
                }
              },
              "health-check-" + i);
      t.setDaemon(true);
      checks.add(t);
      t.start();
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= checks.size());
      CompletableFuture<Void> reset = CompletableFuture.runAsync(client::reset);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(reset).isCompleted());
    } finally {
      stop.set(true);
    }
  }
}
