package io.pgregent.dcs.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.ClusterViewAssembler;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.core.time.Clock;
import io.pgregent.testsupport.FaultProxy;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The contract every {@link Dcs} must honour, run against a real server. A store's test class
 * extends this and supplies the hooks; every case works in a cluster path of its own, so cases do
 * not see each other's keys.
 *
 * <p>Timings: cases use a short ttl ({@link #ttl()}) so that expiry cases stay fast. Waits are
 * bounded only to catch hangs and broken guarantees; speed is measured by benchmarks.
 *
 * <p>A store running in simulated time (an in-memory store on a fake clock) overrides {@link
 * #clock()} and {@link #advance(Duration)}: the cases that wait for a lease to run out then move
 * its clock in small steps instead of waiting. A store without a server process or connection
 * answers false to {@link #hasNetwork()}, which skips the cases that cut a connection through a
 * proxy.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class DcsConformanceTests {

  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  // ---- hooks ----

  /** {@code host:port} of the running server, where a client or a {@link FaultProxy} connects. */
  protected abstract String serverAddress();

  /**
   * A new client for {@code member} of the cluster at {@code path}, connecting to {@code address}
   * ({@code host:port}: the server itself or a proxy in front of it).
   */
  protected abstract Dcs connect(
      String member, ClusterPath path, DcsTimings timings, String address);

  /** Stops the server and starts it again with the same data, on the same address. */
  protected abstract void restartServer();

  /** Writes a key (absolute path) directly, as an operator or another tool would. */
  protected abstract void writeRaw(String key, String value);

  /** Reads a key (absolute path) directly. */
  protected abstract Optional<String> readRaw(String key);

  /**
   * How late after ttl the store may expire a lease: its expiry-check granularity plus a margin for
   * a loaded machine.
   */
  protected Duration expiryGranularity() {
    return Duration.ofSeconds(2);
  }

  /** The clock the store's leases run on; cases measure expiry with it. */
  protected Clock clock() {
    return Clock.system();
  }

  /**
   * Lets {@code d} pass on {@link #clock()} when the store runs in simulated time; real stores
   * leave it as it is (time passes by itself) and return false.
   */
  protected boolean advance(Duration d) {
    return false;
  }

  /** Whether the store has a server and connections for the cases that cut through a proxy. */
  protected boolean hasNetwork() {
    return true;
  }

  /** The ttl the expiry cases use. */
  protected Duration ttl() {
    return Duration.ofSeconds(4);
  }

  protected Duration retryTimeout() {
    return Duration.ofSeconds(2);
  }

  // ---- fixture ----

  private final List<AutoCloseable> closeables = new ArrayList<>();
  protected ClusterPath path;

  @BeforeEach
  void newCluster() {
    path = ClusterPath.of("/service", "tck" + CLUSTERS.incrementAndGet() + "x" + System.nanoTime());
  }

  @AfterEach
  void closeAll() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        // the next case gets a fresh cluster path anyway
      }
    }
    closeables.clear();
  }

  protected DcsTimings timings() {
    return new DcsTimings(ttl(), retryTimeout());
  }

  protected Dcs member(String name) {
    return track(connect(name, path, timings(), serverAddress()));
  }

  protected Dcs memberVia(String name, FaultProxy proxy) {
    return track(connect(name, path, timings(), proxy.hostAndPort()));
  }

  protected FaultProxy proxy() {
    String[] hostPort = serverAddress().split(":");
    return track(FaultProxy.to(hostPort[0], Integer.parseInt(hostPort[1])));
  }

  /** A proxy to cut connections with; skips the case for a store without a network. */
  private FaultProxy networkProxy() {
    Assumptions.assumeTrue(hasNetwork(), "no server or connection to cut");
    return proxy();
  }

  /** A member whose session is renewed, as its loop does before it writes. */
  protected Dcs memberWithSession(String name) {
    Dcs m = member(name);
    m.renewSession();
    return m;
  }

  protected <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  protected static Member memberDoc(String name, String role, long lsn) {
    ObjectNode data = ClusterCodec.nodes().objectNode();
    data.put("conn_url", "postgres://127.0.0.1:5432/postgres");
    data.put("api_url", "http://127.0.0.1:8008/patroni");
    data.put("state", "running");
    data.put("role", role);
    data.put("version", "4.1.4");
    data.put("xlog_location", lsn);
    data.put("timeline", 1);
    return Member.of(name, data);
  }

  private static Duration bound(Duration d) {
    return d.plusSeconds(10);
  }

  /** Waits until a lease nobody renews anymore has run out, as {@code gone} sees it. */
  private void awaitExpiry(Duration poll, Callable<Boolean> gone) throws Exception {
    awaitUntil(bound(ttl().plus(expiryGranularity())), poll, gone);
  }

  /** Waits until {@code condition} holds while the store may still fail calls. */
  private static void awaitRecovered(Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(condition);
  }

  /** Runs {@code call} on every member at once; returns each member's answer, in order. */
  private static List<Boolean> race(List<Dcs> members, Predicate<Dcs> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(members.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (Dcs m : members) {
        Callable<Boolean> one =
            () -> {
              start.await();
              return call.test(m);
            };
        results.add(pool.submit(one));
      }
      start.countDown();
      List<Boolean> answers = new ArrayList<>();
      for (Future<Boolean> r : results) {
        answers.add(r.get(30, TimeUnit.SECONDS));
      }
      return answers;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@code a} takes the lock, and the watch of {@code watcher} wakes for it. */
  private static void assertTheWatchWakesForTheLock(Dcs a, Dcs watcher) {
    long before = watcher.changeCount();
    // As the agent does: a lease renewed before the recovery waited on may run out right after
    // the lock is bound to it (ttl 4 s), and the lock with it.
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> watcher.awaitChange(before, Duration.ofMillis(500)));
    assertThat(watcher.read().isLockedBy("a")).isTrue();
  }

  private boolean simulated() {
    return advance(Duration.ZERO);
  }

  /** Waits (or, in simulated time, steps the clock by {@code poll}) until {@code condition}. */
  private void awaitUntil(Duration atMost, Duration poll, Callable<Boolean> condition)
      throws Exception {
    if (!simulated()) {
      await().atMost(atMost).pollInterval(poll).until(condition);
      return;
    }
    long start = clock().nanoTime();
    while (!condition.call()) {
      assertThat(Duration.ofNanos(clock().nanoTime() - start))
          .as("condition within %s of simulated time", atMost)
          .isLessThan(atMost);
      advance(poll);
    }
  }

  /** Checks {@code condition} every {@code poll} for {@code during}; it must hold throughout. */
  private void holdsDuring(
      Duration during, Duration atMost, Duration poll, Callable<Boolean> condition)
      throws Exception {
    if (!simulated()) {
      await().during(during).atMost(atMost).pollInterval(poll).until(condition);
      return;
    }
    long start = clock().nanoTime();
    while (clock().nanoTime() - start <= during.toNanos()) {
      assertThat(condition.call()).as("holds during %s of simulated time", during).isTrue();
      advance(poll);
    }
  }

  /** Waits on the watch of {@code dcs} alone (no polling) for a change after {@code since}. */
  private boolean awaitWatch(Dcs dcs, long since, Duration timeout) throws InterruptedException {
    if (!simulated()) {
      return dcs.awaitChange(since, timeout);
    }
    long start = clock().nanoTime();
    Duration step = Duration.ofMillis(50);
    while (dcs.changeCount() <= since) {
      if (clock().nanoTime() - start >= timeout.toNanos()) {
        return false;
      }
      advance(step);
    }
    return true;
  }

  // ---- reading ----

  @Test
  void anEmptyClusterReadsAsEmpty() {
    ClusterView view = member("a").read();
    assertThat(view.leader()).isEmpty();
    assertThat(view.members()).isEmpty();
    assertThat(view.config()).isEmpty();
    assertThat(view.initialize()).isEmpty();
    assertThat(view.malformedKeys()).isEmpty();
  }

  @Test
  void keysLiveUnderNamespaceAndScope() {
    ClusterPath custom = ClusterPath.of("my-ns/", "scope" + System.nanoTime());
    Dcs a = track(connect("a", custom, timings(), serverAddress()));
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    assertThat(readRaw(custom.prefix() + "leader")).contains("a");
    assertThat(custom.prefix()).startsWith("/my-ns/scope");
    assertThat(readRaw(path.key(ClusterKey.LEADER))).isEmpty();
  }

  // ---- leader lock ----

  @Test
  void theLeaderKeyHoldsThePlainMemberName() {
    Dcs a = memberWithSession("pg0");
    assertThat(a.tryAcquire()).isTrue();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("pg0");
    assertThat(a.read().leader()).hasValueSatisfying(l -> assertThat(l.name()).isEqualTo("pg0"));
    assertThat(a.read().isLockedBy("pg0")).isTrue();
  }

  @Test
  void ofConcurrentAcquirersExactlyOneWins() throws Exception {
    int n = 5;
    List<Dcs> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(memberWithSession("m" + i));
    }
    List<Boolean> won = race(members, Dcs::tryAcquire);
    assertThat(won).containsOnlyOnce(true);
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("m" + won.indexOf(true));
  }

  @Test
  void aHeldLockCannotBeAcquiredByAnother() {
    Dcs a = memberWithSession("a");
    Dcs b = memberWithSession("b");
    assertThat(a.tryAcquire()).isTrue();
    assertThat(b.tryAcquire()).isFalse();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("a");
  }

  @Test
  void theHolderRefreshesItsLock() {
    Dcs a = memberWithSession("a");
    assertThat(a.tryAcquire()).isTrue();
    for (int i = 0; i < 3; i++) {
      assertThat(a.renewSession()).isTrue();
      assertThat(a.refresh()).isTrue();
    }
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("a");
  }

  @Test
  void refreshNeverTakesAnotherMembersLock() {
    Dcs a = member("a");
    Dcs b = memberWithSession("b");
    assertThat(b.tryAcquire()).isTrue();
    a.renewSession();
    assertThat(a.refresh()).isFalse();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("b");
  }

  @Test
  void refreshFailsOnceAnotherMemberTookTheExpiredLock() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs b = member("b");
    assertThat(a.tryAcquire()).isTrue();
    // a's loop stalls: no renewal. b takes the lock once it expired.
    awaitExpiry(Duration.ofMillis(100), () -> b.read().leader().isEmpty());
    b.renewSession();
    assertThat(b.tryAcquire()).isTrue();
    assertThat(a.renewSession()).isFalse();
    assertThat(a.refresh()).isFalse();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("b");
  }

  /**
   * A lapsed lock nobody took: a refresh brings it back only when told it may (the holder still
   * vouches for its lease); told not to, it fails and leaves the key absent, for the race.
   */
  @Test
  void refreshRecreatesALapsedLockOnlyWhenAllowed() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs b = member("b");
    assertThat(a.tryAcquire()).isTrue();
    awaitExpiry(Duration.ofMillis(100), () -> b.read().leader().isEmpty());
    a.renewSession();
    assertThat(a.refresh(false)).isFalse();
    assertThat(b.read().leader()).isEmpty();
    assertThat(a.refresh(true)).isTrue();
    assertThat(b.read().isLockedBy("a")).isTrue();
  }

  @Test
  void theHolderReleasesItsLock() {
    Dcs a = memberWithSession("a");
    a.tryAcquire();
    assertThat(a.release()).isTrue();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).isEmpty();
    assertThat(a.read().leader()).isEmpty();
  }

  @Test
  void releaseByANonHolderLeavesTheLock() {
    Dcs a = memberWithSession("a");
    Dcs b = member("b");
    a.tryAcquire();
    assertThat(b.release()).isFalse();
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("a");
  }

  @Test
  void anUnrefreshedLockOutlivesHalfItsTtlAndExpiresWithinTtl() throws Exception {
    Dcs a = member("a");
    Dcs observer = member("observer");
    a.renewSession();
    long renewedAt = clock().nanoTime();
    assertThat(a.tryAcquire()).isTrue();
    // Safety: the lock is not lost early...
    holdsDuring(
        ttl().dividedBy(2),
        ttl(),
        Duration.ofMillis(200),
        () -> observer.read().leader().isPresent());
    // ...and liveness: it is gone within ttl plus the store's granularity.
    awaitExpiry(Duration.ofMillis(50), () -> observer.read().leader().isEmpty());
    Duration gone = Duration.ofNanos(clock().nanoTime() - renewedAt);
    assertThat(gone).isLessThanOrEqualTo(ttl().plus(expiryGranularity()));
  }

  @Test
  void aWatcherLearnsOfTheExpiryWithinOneSecond() throws Exception {
    Dcs a = member("a");
    Dcs watcher = member("watcher");
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    watcher.read();
    long renewedAt = clock().nanoTime();
    // Wait on the watch alone (no polling) until the lock is gone.
    long deadline = renewedAt + bound(ttl().plus(expiryGranularity())).toNanos();
    boolean gone = false;
    while (!gone && clock().nanoTime() < deadline) {
      long since = watcher.changeCount();
      gone = watcher.read().leader().isEmpty();
      if (!gone) {
        awaitWatch(watcher, since, Duration.ofNanos(deadline - clock().nanoTime()));
      }
    }
    assertThat(gone).as("watcher saw the lock expire").isTrue();
    Duration seen = Duration.ofNanos(clock().nanoTime() - renewedAt);
    assertThat(seen)
        .as("expiry (ttl + granularity) plus 1 s for the watch to deliver it")
        .isLessThanOrEqualTo(ttl().plus(expiryGranularity()).plusSeconds(1));
  }

  @Test
  void aNewLeaderWakesAWaitingWatcher() throws Exception {
    Dcs a = member("a");
    Dcs watcher = member("watcher");
    watcher.read();
    long since = watcher.changeCount();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    track(pool::shutdownNow);
    Future<Boolean> woke = pool.submit(() -> watcher.awaitChange(since, Duration.ofSeconds(30)));
    a.renewSession();
    a.tryAcquire();
    assertThat(woke.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(watcher.read().isLockedBy("a")).isTrue();
  }

  @Test
  void routineWritesDoNotWakeTheLoopButANewMemberDoes() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs watcher = member("watcher");
    a.touchMember(memberDoc("a", "replica", 1));
    watcher.read();
    // Let the watch deliver what came before, then watch the routine writes.
    watcher.awaitChange(watcher.changeCount(), Duration.ofMillis(300));
    long since = watcher.changeCount();
    a.touchMember(memberDoc("a", "replica", 2));
    a.put(ClusterKey.STATUS, ClusterCodec.encodeStatus(2, Map.of(), List.of()));
    assertThat(awaitWatch(watcher, since, Duration.ofMillis(700)))
        .as("a member's WAL position and the leader's status wake nobody")
        .isFalse();
    Dcs b = memberWithSession("b");
    b.touchMember(memberDoc("b", "replica", 1));
    assertThat(watcher.awaitChange(since, Duration.ofSeconds(10))).as("a new member").isTrue();
  }

  @Test
  void awaitChangeTimesOutWithoutAChange() throws Exception {
    Dcs a = member("a");
    a.read();
    long since = a.changeCount();
    assertThat(a.awaitChange(since, Duration.ofMillis(300))).isFalse();
  }

  @Test
  void theSessionRenewedByTheLoopKeepsTheLockBeyondTtl() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs observer = member("observer");
    a.tryAcquire();
    // The loop renews every ttl/4 for two ttls: the lock must hold throughout.
    holdsDuring(
        ttl().multipliedBy(2),
        ttl().multipliedBy(3),
        ttl().dividedBy(4),
        () -> a.renewSession() && a.refresh() && observer.read().isLockedBy("a"));
  }

  @Test
  void theLockCanBeTakenAgainAfterItsLeaseLapsedWhenNobodyElseDid() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs observer = member("observer");
    a.tryAcquire();
    awaitExpiry(Duration.ofMillis(100), () -> observer.read().leader().isEmpty());
    assertThat(a.renewSession()).isFalse();
    assertThat(a.refresh()).isTrue();
    assertThat(observer.read().isLockedBy("a")).isTrue();
  }

  // ---- members ----

  @Test
  void aMemberKeyIsWrittenAndReadBack() {
    Dcs a = memberWithSession("pg0");
    a.touchMember(memberDoc("pg0", "primary", 33554432));
    Member m = member("other").read().member("pg0").orElseThrow();
    assertThat(m.role()).contains("primary");
    assertThat(m.xlogLocation()).contains(33554432L);
    assertThat(m.apiUrl()).contains("http://127.0.0.1:8008/patroni");
    assertThat(m.patroniVersion()).contains("4.1.4");
  }

  @Test
  void aMemberKeyFollowsItsOwnersChanges() {
    Dcs a = memberWithSession("pg0");
    a.touchMember(memberDoc("pg0", "replica", 1));
    a.touchMember(memberDoc("pg0", "primary", 2));
    Member m = a.read().member("pg0").orElseThrow();
    assertThat(m.role()).contains("primary");
    assertThat(m.xlogLocation()).contains(2L);
  }

  @Test
  void memberKeysExpireWithTheirOwnersLease() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs b = memberWithSession("b");
    a.touchMember(memberDoc("a", "replica", 1));
    b.touchMember(memberDoc("b", "replica", 1));
    // Only b's loop keeps running.
    awaitUntil(
        bound(ttl().plus(expiryGranularity())),
        ttl().dividedBy(4),
        () -> {
          assertThat(b.renewSession()).isTrue();
          return b.read().member("a").isEmpty();
        });
    assertThat(b.read().members()).containsOnlyKeys("b");
  }

  @Test
  void aMemberKeyIsWrittenAgainAfterItsLeaseLapsed() throws Exception {
    Dcs a = memberWithSession("a");
    Dcs observer = member("observer");
    a.touchMember(memberDoc("a", "replica", 1));
    awaitExpiry(Duration.ofMillis(100), () -> observer.read().member("a").isEmpty());
    assertThat(a.renewSession()).isFalse();
    a.touchMember(memberDoc("a", "replica", 1));
    assertThat(observer.read().member("a")).isPresent();
  }

  @Test
  void aMemberKeyDeletedBySomeoneElseIsWrittenAgainAfterTheNextRead() {
    Dcs a = memberWithSession("a");
    Dcs observer = member("observer");
    a.touchMember(memberDoc("a", "replica", 1));
    // patronictl remove wipes the cluster's keys while its agents run; they publish themselves
    // again at their next cycle (read, then touch), unchanged values included.
    member("a").deleteMember();
    assertThat(a.read().member("a")).isEmpty();
    a.touchMember(memberDoc("a", "replica", 1));
    assertThat(observer.read().member("a")).isPresent();
  }

  @Test
  void deleteMemberRemovesOnlyOurKey() {
    Dcs a = memberWithSession("a");
    Dcs b = memberWithSession("b");
    a.touchMember(memberDoc("a", "replica", 1));
    b.touchMember(memberDoc("b", "replica", 1));
    a.deleteMember();
    assertThat(b.read().members()).containsOnlyKeys("b");
  }

  // ---- compare-and-set ----

  @Test
  void createOnlySucceedsWhenAbsentAndFailsWhenPresent() {
    Dcs a = member("a");
    assertThat(a.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":30}")).isTrue();
    assertThat(a.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":99}")).isFalse();
    assertThat(readRaw(path.key(ClusterKey.CONFIG))).contains("{\"ttl\":30}");
  }

  @Test
  void aCompareAndSetWithTheCurrentVersionSucceeds() {
    Dcs a = member("a");
    a.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":30}");
    long v1 = a.read().config().orElseThrow().version();
    assertThat(a.compareAndSet(ClusterKey.CONFIG, v1, "{\"ttl\":20}")).isTrue();
    var config = a.read().config().orElseThrow();
    assertThat(config.ttl()).isEqualTo(20);
    assertThat(config.version()).isGreaterThan(v1);
  }

  @Test
  void aCompareAndSetWithAStaleVersionFailsAndLeavesTheValue() {
    Dcs a = member("a");
    Dcs b = member("b");
    a.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":30}");
    long seen = a.read().config().orElseThrow().version();
    assertThat(b.compareAndSet(ClusterKey.CONFIG, seen, "{\"ttl\":25}")).isTrue();
    assertThat(a.compareAndSet(ClusterKey.CONFIG, seen, "{\"ttl\":20}")).isFalse();
    assertThat(a.read().config().orElseThrow().ttl()).isEqualTo(25);
  }

  @Test
  void initializeIsCreateIfAbsentAndExactlyOneMemberWinsTheRace() throws Exception {
    List<Dcs> members = List.of(member("a"), member("b"), member("c"));
    assertThat(race(members, m -> m.compareAndSet(ClusterKey.INITIALIZE, 0, "")))
        .containsOnlyOnce(true);
    Dcs a = members.get(0);
    var init = a.read().initialize().orElseThrow();
    assertThat(init.completed()).isEmpty();
    assertThat(a.compareAndSet(ClusterKey.INITIALIZE, init.version(), "7710782928459690229"))
        .isTrue();
    assertThat(a.read().initialize().orElseThrow().completed()).contains("7710782928459690229");
    assertThat(readRaw(path.key(ClusterKey.INITIALIZE))).contains("7710782928459690229");
  }

  @Test
  void compareAndDeleteNeedsTheCurrentVersion() {
    Dcs a = member("a");
    a.compareAndSet(ClusterKey.FAILOVER, 0, "{\"leader\":\"pg0\",\"member\":\"pg1\"}");
    long v = a.read().failover().orElseThrow().version();
    a.put(ClusterKey.FAILOVER, "{\"leader\":\"pg0\",\"member\":\"pg2\"}");
    assertThat(a.compareAndDelete(ClusterKey.FAILOVER, v)).isFalse();
    assertThat(a.read().failover()).isPresent();
    long current = a.read().failover().orElseThrow().version();
    assertThat(a.compareAndDelete(ClusterKey.FAILOVER, current)).isTrue();
    assertThat(a.read().failover()).isEmpty();
  }

  // ---- formats ----

  @Test
  void valuesWeWriteHavePatronisShapes() {
    Dcs a = memberWithSession("pg1");
    a.tryAcquire();
    a.touchMember(memberDoc("pg1", "primary", 67109536));
    a.put(ClusterKey.STATUS, ClusterCodec.encodeStatus(67109536, Map.of(), List.of()));
    a.compareAndSet(
        ClusterKey.HISTORY,
        0,
        ClusterCodec.encode(
            new TimelineHistory(
                List.of(
                    new TimelineHistory.Entry(
                        1,
                        67109256,
                        "no recovery target specified",
                        "2026-11-22T00:16:34.883479+00:00",
                        "pg1")),
                0)));
    a.compareAndSet(
        ClusterKey.FAILOVER, 0, ClusterCodec.encode(new Failover("pg0", "pg1", null, 0)));
    a.compareAndSet(
        ClusterKey.SYNC, 0, ClusterCodec.encode(new SyncState("pg1", List.of("pg2"), null, 0)));

    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("pg1");
    assertThat(readRaw(path.memberKey("pg1")))
        .contains(
            "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\","
                + "\"api_url\":\"http://127.0.0.1:8008/patroni\",\"state\":\"running\","
                + "\"role\":\"primary\",\"version\":\"4.1.4\",\"xlog_location\":67109536,"
                + "\"timeline\":1}");
    assertThat(readRaw(path.key(ClusterKey.STATUS))).contains("{\"optime\":67109536}");
    assertThat(readRaw(path.key(ClusterKey.HISTORY)))
        .contains(
            "[[1,67109256,\"no recovery target specified\","
                + "\"2026-11-22T00:16:34.883479+00:00\",\"pg1\"]]");
    assertThat(readRaw(path.key(ClusterKey.FAILOVER)))
        .contains("{\"leader\":\"pg0\",\"member\":\"pg1\"}");
    assertThat(readRaw(path.key(ClusterKey.SYNC)))
        .contains("{\"leader\":\"pg1\",\"sync_standby\":\"pg2\"}");
  }

  @Test
  void aPatroniClustersKeysParseInOurModel() {
    // Values as a Patroni 3.0.2 cluster wrote them (reference capture, after one switchover).
    writeRaw(
        path.key(ClusterKey.CONFIG),
        "{\"ttl\": 30, \"loop_wait\": 10, \"retry_timeout\": 10, \"maximum_lag_on_failover\":"
            + " 1048576, \"synchronous_mode\": true, \"postgresql\": {\"use_pg_rewind\": true,"
            + " \"use_slots\": true, \"parameters\": {\"wal_level\": \"replica\"}}}");
    writeRaw(path.key(ClusterKey.FAILOVER), "{}");
    writeRaw(
        path.key(ClusterKey.HISTORY),
        "[[1,67109256,\"no recovery target specified\",\"2026-11-22T00:16:34.883479+00:00\","
            + "\"pg1\"]]");
    writeRaw(path.key(ClusterKey.INITIALIZE), "7710782928459690229");
    writeRaw(path.key(ClusterKey.LEADER), "pg1");
    writeRaw(
        path.memberKey("pg0"),
        "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":"
            + "\"http://127.0.0.1:8008/patroni\",\"state\":\"running\",\"role\":\"replica\","
            + "\"version\":\"3.0.2\",\"xlog_location\":67109632,\"timeline\":2}");
    writeRaw(
        path.memberKey("pg1"),
        "{\"conn_url\":\"postgres://127.0.0.1:5433/postgres\",\"api_url\":"
            + "\"http://127.0.0.1:8009/patroni\",\"state\":\"running\",\"role\":\"master\","
            + "\"version\":\"3.0.2\",\"xlog_location\":67109632,\"timeline\":2}");
    writeRaw(path.key(ClusterKey.STATUS), "{\"optime\":67109632}");
    writeRaw(path.key(ClusterKey.SYNC), "{\"leader\":\"pg1\",\"sync_standby\":\"pg2\"}");

    ClusterView view = member("reader").read();
    assertThat(view.malformedKeys()).isEmpty();
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(30);
    assertThat(view.config().orElseThrow().maximumLagOnFailover()).isEqualTo(1048576);
    assertThat(view.failover().orElseThrow().isEmpty()).isTrue();
    assertThat(view.history().orElseThrow().entries())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.timeline()).isEqualTo(1);
              assertThat(e.switchLsn()).isEqualTo(67109256);
              assertThat(e.newLeader()).isEqualTo("pg1");
            });
    assertThat(view.initialize().orElseThrow().completed()).contains("7710782928459690229");
    assertThat(view.leader().orElseThrow().name()).isEqualTo("pg1");
    assertThat(view.leaderMember().orElseThrow().role()).contains("primary");
    assertThat(view.members()).containsOnlyKeys("pg0", "pg1");
    assertThat(view.member("pg0").orElseThrow().timeline()).contains(2L);
    assertThat(view.status().orElseThrow().optime()).isEqualTo(67109632);
    assertThat(view.sync().orElseThrow().isSyncStandby("PG2")).isTrue();
  }

  // ---- malformed values ----

  @Test
  void aMalformedMemberIsReadAsAbsentWithAWarningNamingTheKey() {
    ListAppender<ILoggingEvent> logs = captureWarnings();
    writeRaw(path.memberKey("broken"), "{not json");
    Dcs a = memberWithSession("a");
    a.touchMember(memberDoc("a", "replica", 1));
    ClusterView view = a.read();
    assertThat(view.members()).containsOnlyKeys("a");
    assertThat(view.malformedKeys()).containsExactly("members/broken");
    assertThat(logs.list)
        .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains(path.memberKey("broken")));
  }

  @Test
  void malformedLeaderHistorySyncAndFailoverValuesReadAsAbsent() {
    writeRaw(path.key(ClusterKey.LEADER), "");
    writeRaw(path.key(ClusterKey.HISTORY), "{\"not\":\"a list\"}");
    writeRaw(path.key(ClusterKey.SYNC), "[1,2]");
    writeRaw(path.key(ClusterKey.FAILOVER), "{\"scheduled_at\":\"tomorrow\"}");
    writeRaw(path.key(ClusterKey.STATUS), "\"fast\"");
    ClusterView view = member("a").read();
    assertThat(view.leader()).isEmpty();
    assertThat(view.history()).isEmpty();
    assertThat(view.sync()).isEmpty();
    assertThat(view.failover()).isEmpty();
    assertThat(view.status()).isEmpty();
    assertThat(view.malformedKeys())
        .containsExactlyInAnyOrder("leader", "history", "sync", "failover", "status");
  }

  @Test
  void aMalformedConfigKeepsTheLastGoodOne() {
    ListAppender<ILoggingEvent> logs = captureWarnings();
    Dcs a = member("a");
    a.compareAndSet(ClusterKey.CONFIG, 0, "{\"ttl\":25,\"loop_wait\":5}");
    assertThat(a.read().config().orElseThrow().ttl()).isEqualTo(25);
    writeRaw(path.key(ClusterKey.CONFIG), "{\"ttl\":");
    ClusterView view = a.read();
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(25);
    assertThat(view.config().orElseThrow().loopWait()).isEqualTo(5);
    assertThat(view.malformedKeys()).containsExactly("config");
    assertThat(logs.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains(path.key(ClusterKey.CONFIG))
                    .contains("keeping"));
  }

  // ---- faults ----

  @Test
  void aWatchSurvivesARestartOfTheServer() throws Exception {
    Dcs a = member("a");
    Dcs watcher = member("watcher");
    watcher.read();
    watcher.awaitChange(watcher.changeCount(), Duration.ofMillis(10));
    restartServer();
    // The restart may itself wake the watcher; what matters is that a later change still does.
    awaitRecovered(
        () -> {
          watcher.read();
          return true;
        });
    a.renewSession();
    long since = watcher.changeCount();
    watcher.awaitChange(since, Duration.ofMillis(10));
    assertTheWatchWakesForTheLock(a, watcher);
  }

  @Test
  void aWatchResumesAfterTheConnectionWasCut() throws Exception {
    FaultProxy proxy = networkProxy();
    Dcs a = member("a");
    Dcs watcher = memberVia("watcher", proxy);
    watcher.read();
    watcher.awaitChange(watcher.changeCount(), Duration.ofMillis(10));
    proxy.cut();
    a.renewSession();
    a.touchMember(memberDoc("a", "replica", 1));
    proxy.restore();
    awaitRecovered(() -> watcher.read().member("a").isPresent());
    assertTheWatchWakesForTheLock(a, watcher);
  }

  @Test
  void aCutConnectionSurfacesAsUnreachableWithinRetryTimeout() {
    FaultProxy proxy = networkProxy();
    Dcs a = memberVia("a", proxy);
    a.read();
    proxy.cut();
    assertUnreachableWithinRetryTimeout(a::read);
  }

  @Test
  void aSilentServerSurfacesAsUnreachableWithinRetryTimeout() {
    FaultProxy proxy = networkProxy();
    Dcs a = memberVia("a", proxy);
    a.renewSession();
    a.read();
    proxy.blackhole();
    assertUnreachableWithinRetryTimeout(a::tryAcquire);
  }

  /** The call fails as "store unreachable", bounded by retry_timeout (plus a second of slack). */
  private void assertUnreachableWithinRetryTimeout(ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call).isInstanceOf(DcsUnreachableException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThanOrEqualTo(retryTimeout().plusSeconds(1));
  }

  @Test
  void theClientRecoversOnceTheStoreIsBack() {
    FaultProxy proxy = networkProxy();
    Dcs a = memberVia("a", proxy);
    a.renewSession();
    proxy.cut();
    assertThatThrownBy(a::read).isInstanceOf(DcsUnreachableException.class);
    proxy.restore();
    awaitRecovered(
        () -> {
          a.renewSession();
          return a.tryAcquire();
        });
    assertThat(readRaw(path.key(ClusterKey.LEADER))).contains("a");
  }

  @Test
  void theUnreachableErrorNamesTheEndpoint() {
    FaultProxy proxy = networkProxy();
    Dcs a = memberVia("a", proxy);
    proxy.cut();
    assertThatThrownBy(a::read)
        .isInstanceOf(DcsUnreachableException.class)
        .hasMessageContaining(String.valueOf(proxy.port()));
  }

  @Test
  void aScheduledFailoverRoundTrips() {
    Dcs a = member("a");
    OffsetDateTime at = OffsetDateTime.parse("2026-11-22T10:00:00+01:00");
    a.compareAndSet(ClusterKey.FAILOVER, 0, ClusterCodec.encode(new Failover("pg0", null, at, 0)));
    Failover f = member("b").read().failover().orElseThrow();
    assertThat(f.leader()).isEqualTo("pg0");
    assertThat(f.candidate()).isNull();
    assertThat(f.scheduledAt()).isEqualTo(at);
  }

  private static ListAppender<ILoggingEvent> captureWarnings() {
    Logger logger = (Logger) LoggerFactory.getLogger(ClusterViewAssembler.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    return appender;
  }
}
