package io.pgregent.dcs.consul;

import static io.pgregent.dcs.consul.ConsulDcsRequestTests.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.ConsulServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the store relies on in Consul itself, against a real dev-mode agent: the session (TTL,
 * behaviour, lock-delay) and blocking queries on the cluster prefix.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsulDcsSessionTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(2));
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  @RegisterExtension
  static final DevConsul consul = new DevConsul(ConsulServer.Options.plain(), null);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private ClusterPath path;

  @BeforeEach
  void newCluster() {
    path = ClusterPath.of("/service", "session" + CLUSTERS.incrementAndGet());
  }

  @AfterEach
  void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private ConsulDcs dcs(String name) {
    ConsulDcs d = new ConsulDcs(ConsulSettings.of(consul.url()), path, name, TIMINGS);
    closeables.add(d);
    return d;
  }

  private JsonNode sessionOf(String name) {
    for (JsonNode s : consul.admin().get("/v1/session/list")) {
      if (s.path("Name").asText().equals(path.scope() + "-" + name)) {
        return s;
      }
    }
    throw new AssertionError("no session named " + path.scope() + "-" + name);
  }

  @Test
  void theSessionIsPatronisTtlHalfBehaviourDeleteAndAlmostNoLockDelay() {
    ConsulDcs a = dcs("a");
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    JsonNode session = sessionOf("a");
    assertThat(session.path("TTL").asText()).isEqualTo("10s");
    assertThat(session.path("Behavior").asText()).isEqualTo("delete");
    assertThat(session.path("LockDelay").asLong())
        .as("lock-delay in nanoseconds: 1 ms, not Consul's 15 s")
        .isEqualTo(1_000_000L);
    JsonNode leader =
        consul.admin().get("/v1/kv/" + ConsulDcs.consulKey(path.key(leaderKey()))).get(0);
    assertThat(leader.path("Session").asText()).isEqualTo(session.path("ID").asText());
  }

  @Test
  void whenTheHoldersSessionLapsesAnotherMemberTakesTheLockAtOnce() {
    ConsulDcs a = dcs("a");
    ConsulDcs b = dcs("b");
    a.renewSession();
    a.touchMember(member("primary", "running"));
    assertThat(a.tryAcquire()).isTrue();
    b.renewSession();
    // Nobody renews a's session: Consul invalidates it between one and two TTLs (10-20 s).
    await()
        .atMost(Duration.ofSeconds(45))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> b.read().leader().isEmpty());
    assertThat(b.read().member("a")).as("the member key went with the session").isEmpty();
    assertThat(b.tryAcquire())
        .as("no lock-delay keeps the next leader waiting (Consul's default is 15 s)")
        .isTrue();
    assertThat(b.read().isLockedBy("b")).isTrue();
  }

  @Test
  void aMemberWhoseSessionConsulEndedStartsANewOneToTakeTheFreeLock() {
    ConsulDcs a = dcs("a");
    a.renewSession();
    a.touchMember(member("replica", "running"));
    String ended = sessionOf("a").path("ID").asText();
    // What a lapsed TTL or a failed bound check does between two cycles.
    consul.admin().put("/v1/session/destroy/" + ended, null);
    assertThat(a.tryAcquire())
        .as("Consul's 'invalid session' is a lapsed lease, not an outage")
        .isTrue();
    a.touchMember(member("replica", "running"));
    String current = sessionOf("a").path("ID").asText();
    assertThat(current).isNotEqualTo(ended);
    assertThat(a.read().isLockedBy("a")).isTrue();
    assertThat(a.read().member("a")).as("the member key is written again").isPresent();
  }

  @Test
  void aReleasedLockCanBeTakenAtOnceByAnother() {
    ConsulDcs a = dcs("a");
    ConsulDcs b = dcs("b");
    a.renewSession();
    b.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    assertThat(a.release()).isTrue();
    assertThat(b.tryAcquire()).isTrue();
  }

  @Test
  void aBlockingQueryWakesOnAChangeUnderOurScopeAndNotElsewhere() throws Exception {
    ConsulDcs watcher = dcs("watcher");
    ConsulDcs a = dcs("a");
    watcher.read();
    long since = watcher.changeCount();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    closeables.add(pool::shutdownNow);
    Future<Boolean> woke = pool.submit(() -> watcher.awaitChange(since, Duration.ofSeconds(60)));
    // A write under another scope that shares our prefix's first characters.
    ClusterPath other = ClusterPath.of("/service", path.scope() + "-other");
    consul.admin().put("/v1/kv/" + ConsulDcs.consulKey(other.key(leaderKey())), "x");
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> !woke.isDone());
    long start = System.nanoTime();
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    assertThat(woke.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("woken by the blocking query, long before its wait ends")
        .isLessThan(Duration.ofSeconds(20));
    assertThat(watcher.read().isLockedBy("a")).isTrue();
  }

  private static io.pgregent.core.dcs.ClusterKey leaderKey() {
    return io.pgregent.core.dcs.ClusterKey.LEADER;
  }
}
