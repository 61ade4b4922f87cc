package io.pgregent.dcs.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.DcsUnreachableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * The leader lock on a real 3-server ensemble (Curator's in-JVM {@link TestingCluster}): losing the
 * server a holder is connected to, and a holder whose HA loop stalls while its client still pings.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZooKeeperDcsEnsembleTests {

  private static final Duration TTL = Duration.ofSeconds(4);
  private static final Duration RETRY_TIMEOUT = Duration.ofSeconds(2);

  /** Expiry happens on the server's tick; allow for a loaded machine on top. */
  private static final Duration GRANULARITY = Duration.ofSeconds(2);

  private static final org.slf4j.Logger log =
      LoggerFactory.getLogger(ZooKeeperDcsEnsembleTests.class);
  private static final AtomicInteger CLUSTERS = new AtomicInteger();
  private static TestingCluster cluster;

  @BeforeAll
  static void startEnsemble() throws Exception {
    cluster =
        new TestingCluster(
            List.of(
                ZooKeeperTestServers.spec(1),
                ZooKeeperTestServers.spec(2),
                ZooKeeperTestServers.spec(3)));
    cluster.start();
  }

  @AfterAll
  static void stopEnsemble() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Every server answers a client on its own: the servers started (or a case restarted) have formed
   * a quorum again, so that killing one leaves two that serve.
   */
  @BeforeEach
  void everyServerServes() {
    for (InstanceSpec spec : cluster.getInstances()) {
      try (ZooKeeperDcs probe = member("probe", newPath(), spec.getConnectString())) {
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreException(DcsUnreachableException.class)
            .untilAsserted(probe::read);
      }
    }
  }

  private static ClusterPath newPath() {
    return ClusterPath.of("/service", "ens" + CLUSTERS.incrementAndGet() + "x" + System.nanoTime());
  }

  private static ZooKeeperDcs member(String name, ClusterPath path, String hosts) {
    return new ZooKeeperDcs(
        ZooKeeperSettings.of(hosts.split(",")), path, name, new DcsTimings(TTL, RETRY_TIMEOUT));
  }

  /** One call of one member's loop, as seen from outside; {@code failure} null if it answered. */
  private record Call(String who, boolean holds, long startNanos, long endNanos, String failure) {}

  /**
   * @param holderKnowsAllServers true: the holder's session can move to a surviving server; false:
   *     the holder knows only the server that is killed, so its session must expire
   */
  @ParameterizedTest(name = "holder knows all servers: {0}")
  @ValueSource(booleans = {true, false})
  void killingTheHoldersServerNeverYieldsTwoHolders(boolean holderKnowsAllServers)
      throws Exception {
    ClusterPath path = newPath();
    List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    ScheduledExecutorService loops = Executors.newScheduledThreadPool(2);
    InstanceSpec killed = null;
    String holderHosts =
        holderKnowsAllServers
            ? cluster.getConnectString()
            : cluster.getInstances().iterator().next().getConnectString();
    try (ZooKeeperDcs holder = member("holder", path, holderHosts)) {
      assertThat(holder.renewSession()).isTrue();
      assertThat(holder.tryAcquire()).isTrue();
      killed = cluster.findConnectionInstance(holder.zooKeeperForTests());
      assertThat(killed).as("server the holder is connected to").isNotNull();
      List<String> others = new ArrayList<>();
      for (InstanceSpec spec : cluster.getInstances()) {
        if (!spec.equals(killed)) {
          others.add(spec.getConnectString());
        }
      }
      try (ZooKeeperDcs other = member("other", path, String.join(",", others))) {
        other.renewSession();
        assertThat(other.tryAcquire()).isFalse();

        // Both loops run throughout: the holder renews and refreshes, the other tries to acquire.
        loops.scheduleWithFixedDelay(
            () -> loopOnce(calls, "holder", () -> holder.renewSession() && holder.refresh()),
            0,
            100,
            TimeUnit.MILLISECONDS);
        loops.scheduleWithFixedDelay(
            () ->
                loopOnce(
                    calls,
                    "other",
                    () -> {
                      other.renewSession();
                      return other.tryAcquire();
                    }),
            0,
            100,
            TimeUnit.MILLISECONDS);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> calls.stream().filter(c -> c.who().equals("holder")).count() >= 3);

        long killedAt = System.nanoTime();
        assertThat(cluster.killServer(killed)).isTrue();

        // Watch for ttl plus the store's granularity plus an election: the outcome is settled then.
        Duration window = TTL.plus(GRANULARITY).plusSeconds(4);
        await()
            .pollDelay(window)
            .atMost(window.plusSeconds(30))
            .until(() -> lastCall(calls, "holder") != null && lastCall(calls, "other") != null);
        // Let a call in flight finish: an interrupt would cut it short (the store call fails as
        // "interrupted") and record as lost a lock that nobody took from the holder.
        loops.shutdown();
        assertThat(loops.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

        List<Call> seen;
        synchronized (calls) {
          seen = List.copyOf(calls);
        }
        Call firstOtherWin =
            seen.stream()
                .filter(c -> c.who().equals("other") && c.holds())
                .findFirst()
                .orElse(null);
        log.info(
            "killed server {}: {}",
            killed.getServerId(),
            firstOtherWin == null
                ? "the holder's session moved and it kept the lock"
                : "the holder lost its session; the other acquired "
                    + Duration.ofNanos(firstOtherWin.endNanos() - killedAt).toMillis()
                    + " ms after the kill");
        if (!holderKnowsAllServers) {
          assertThat(firstOtherWin).as("the other member acquires the expired lock").isNotNull();
        }
        if (firstOtherWin == null) {
          // The session moved to a surviving server: the holder kept the lock all along.
          Call lastHolder = lastCall(seen, "holder");
          assertThat(lastHolder.holds())
              .as("holder keeps the lock once the session moved (its last call: %s)", lastHolder)
              .isTrue();
        } else {
          // The holder lost its session: never again may it see itself as holder...
          assertThat(seen)
              .filteredOn(
                  c ->
                      c.who().equals("holder")
                          && c.holds()
                          && c.startNanos() > firstOtherWin.endNanos())
              .as("holder refreshed after the other member had acquired")
              .isEmpty();
          // ...and the lock became free within the session timeout (plus an election).
          assertThat(Duration.ofNanos(firstOtherWin.endNanos() - killedAt))
              .isLessThanOrEqualTo(window);
        }
        // At no instant did both hold it: every "holds" interval of one member ends before the
        // other's begins.
        for (Call h : seen) {
          for (Call o : seen) {
            if (h.who().equals("holder") && o.who().equals("other") && h.holds() && o.holds()) {
              assertThat(h.startNanos() < o.endNanos() && o.startNanos() < h.endNanos())
                  .as("holder call %s overlaps the other's acquisition %s", h, o)
                  .isFalse();
              assertThat(h.startNanos()).isLessThan(o.startNanos());
            }
          }
        }
      }
    } finally {
      loops.shutdownNow();
      if (killed != null) {
        cluster.restartServer(killed);
      }
    }
  }

  private interface LoopStep {
    boolean run();
  }

  private static void loopOnce(List<Call> calls, String who, LoopStep step) {
    long start = System.nanoTime();
    boolean holds;
    String failure = null;
    try {
      holds = step.run();
    } catch (DcsUnreachableException e) {
      holds = false;
      failure = e.getMessage();
    }
    calls.add(new Call(who, holds, start, System.nanoTime(), failure));
  }

  private static Call lastCall(List<Call> calls, String who) {
    synchronized (calls) {
      for (int i = calls.size() - 1; i >= 0; i--) {
        if (calls.get(i).who().equals(who)) {
          return calls.get(i);
        }
      }
    }
    return null;
  }

  @Test
  void aStalledLoopLosesTheLeaderZnodeWithinTtlWhileTheClientStillPings() throws Exception {
    ClusterPath path = newPath();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger logger = (Logger) LoggerFactory.getLogger(ZooKeeperDcs.class);
    logger.addAppender(logs);
    try (ZooKeeperDcs holder = member("holder", path, cluster.getConnectString());
        ZooKeeperDcs observer = member("observer", path, cluster.getConnectString())) {
      // The observer is connected before the loop stalls, so it sees the whole window.
      assertThat(observer.read().leader()).isEmpty();
      // A few healthy cycles.
      for (int i = 0; i < 3; i++) {
        assertThat(holder.renewSession()).isTrue();
        assertThat(holder.refresh()).isTrue();
      }
      long lastCycle = System.nanoTime();
      // The loop freezes; the client library keeps the session alive by itself (its pings), and
      // the session is still the same one past half the ttl after the last cycle: a read that
      // starts then still finds the lock (a stalled loop cannot take it again once it is gone).
      long session = holder.zooKeeperForTests().getSessionId();
      long halfTtlLeft = lastCycle + TTL.dividedBy(2).toNanos() - System.nanoTime();
      await()
          .pollDelay(Duration.ofNanos(Math.max(halfTtlLeft, TimeUnit.MILLISECONDS.toNanos(1))))
          .atMost(TTL)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> observer.read().isLockedBy("holder"));
      // ...but the watchdog closes it: the leader znode is gone within ttl.
      await()
          .atMost(TTL.plus(GRANULARITY).plusSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> observer.read().leader().isEmpty());
      assertThat(Duration.ofNanos(System.nanoTime() - lastCycle))
          .isLessThanOrEqualTo(TTL.plus(GRANULARITY));
      assertThat(logs.list)
          .anySatisfy(
              e ->
                  assertThat(e.getFormattedMessage())
                      .contains("HA loop stalled")
                      .contains(Long.toHexString(session)));
      // The loop resumes: it learns its session was replaced and takes the free lock again. Its
      // new session may be served by an ensemble member that has not applied the old znode's
      // deletion yet (the observer's has): then the create fails and the next cycle succeeds.
      assertThat(holder.renewSession()).isFalse();
      assertThat(holder.zooKeeperForTests().getSessionId()).isNotEqualTo(session);
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(200))
          .until(holder::refresh);
      assertThat(observer.read().isLockedBy("holder")).isTrue();
    } finally {
      logger.detachAppender(logs);
    }
  }
}
