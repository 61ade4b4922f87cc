package io.pgregent.dcs.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.pgregent.core.dcs.ChangeCounter;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.testsupport.EtcdServer;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jetcd calls our watch listener while holding its own lock (a watcher lost or closed), and our
 * listener takes our lock: opening a watch must therefore never call jetcd while holding ours, or
 * the HA loop (opening) and jetcd's thread (reporting the loss) wait for each other for good — seen
 * in the chaos campaign as a leader whose loop fell silent in a store outage.
 */
@Timeout(120)
class EtcdWatchLockTests {

  @Test
  void openingAWatchHoldsNoLockOfOursWhileJetcdIsBusy() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        Client client = Client.builder().endpoints(etcd.clientUrl()).build()) {
      Watch watchClient = client.getWatchClient();
      Field f = watchClient.getClass().getDeclaredField("lock");
      f.setAccessible(true);
      Object jetcdLock = f.get(watchClient);
      EtcdWatch watch =
          new EtcdWatch(client, ClusterPath.of(null, "watch-lock"), new ChangeCounter(), () -> "");
      Thread opening = new Thread(watch::ensure, "opening");
      CompletableFuture<Void> listener;
      synchronized (jetcdLock) {
        opening.start();
        // The loop is inside jetcd, waiting for jetcd's lock.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> opening.getState() == Thread.State.BLOCKED);
        // What our listener does on jetcd's thread when a watcher is lost: take our lock.
        listener = CompletableFuture.runAsync(watch::close);
        // Fails (times out) when the opening thread holds our lock; leaving this block lets go of
        // jetcd's lock either way, so nothing stays blocked after the test.
        listener.get(10, TimeUnit.SECONDS);
      }
      opening.join(30_000);
      assertThat(opening.isAlive()).isFalse();
      assertThat(listener).isCompleted();
      watch.shutdown();
    }
  }
}
