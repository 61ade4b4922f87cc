package io.pgregent.dcs.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What is particular to ZooKeeper beyond the kit: sessions, znode owners, versions. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZooKeeperDcsTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(4), Duration.ofSeconds(2));
  private static final AtomicInteger CLUSTERS = new AtomicInteger();

  @RegisterExtension
  static final ZooKeeperTestServers.Standalone zk = new ZooKeeperTestServers.Standalone();

  private final List<ZooKeeperDcs> members = new ArrayList<>();
  private final ClusterPath path =
      ClusterPath.of("/service", "zk" + CLUSTERS.incrementAndGet() + "x" + System.nanoTime());

  @AfterEach
  void closeMembers() {
    members.forEach(ZooKeeperDcs::close);
  }

  private ZooKeeperDcs member(String name) {
    ZooKeeperDcs dcs =
        new ZooKeeperDcs(ZooKeeperSettings.of(zk.server().getConnectString()), path, name, TIMINGS);
    members.add(dcs);
    return dcs;
  }

  /** A znode the admin client writes, as an earlier agent or an older Patroni leaves one. */
  private static void createRaw(String key, String value, CreateMode mode) throws Exception {
    zk.admin()
        .create()
        .creatingParentsIfNeeded()
        .withMode(mode)
        .forPath(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static long adminSession() throws Exception {
    return zk.admin().getZookeeperClient().getZooKeeper().getSessionId();
  }

  @Test
  void aLeaderZnodeWithOurNameInAnotherSessionIsNotOursToAcquireButRefreshRecreatesIt()
      throws Exception {
    // As after a restart of the agent: the old session still holds the leader znode.
    createRaw(path.key(ClusterKey.LEADER), "a", CreateMode.EPHEMERAL);
    ZooKeeperDcs a = member("a");
    a.renewSession();
    assertThat(a.tryAcquire()).isFalse();
    assertThat(a.refresh()).isTrue();
    Stat stat = zk.admin().checkExists().forPath(path.key(ClusterKey.LEADER));
    assertThat(stat.getEphemeralOwner())
        .isEqualTo(a.zooKeeperForTests().getSessionId())
        .isNotEqualTo(adminSession());
    assertThat(a.tryAcquire()).isTrue();
  }

  @Test
  void refreshLeavesAnotherMembersLeaderZnodeAlone() throws Exception {
    createRaw(path.key(ClusterKey.LEADER), "b", CreateMode.EPHEMERAL);
    ZooKeeperDcs a = member("a");
    a.renewSession();
    assertThat(a.refresh()).isFalse();
    assertThat(a.release()).isFalse();
    assertThat(zk.admin().checkExists().forPath(path.key(ClusterKey.LEADER)).getEphemeralOwner())
        .isEqualTo(adminSession());
  }

  @Test
  void aMemberZnodeLeftByAnEarlierSessionIsReplacedByOurs() throws Exception {
    createRaw(path.memberKey("a"), "{\"role\":\"replica\"}", CreateMode.EPHEMERAL);
    ZooKeeperDcs a = member("a");
    a.renewSession();
    a.touchMember(io.pgregent.core.cluster.Member.of("a", memberData("primary")));
    Stat stat = new Stat();
    byte[] data = zk.admin().getData().storingStatIn(stat).forPath(path.memberKey("a"));
    assertThat(stat.getEphemeralOwner()).isEqualTo(a.zooKeeperForTests().getSessionId());
    assertThat(new String(data, StandardCharsets.UTF_8)).contains("\"role\":\"primary\"");
    // Unchanged data in the same session is not written again.
    a.touchMember(io.pgregent.core.cluster.Member.of("a", memberData("primary")));
    assertThat(zk.admin().checkExists().forPath(path.memberKey("a")).getVersion())
        .isEqualTo(stat.getVersion());
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode memberData(String role) {
    var node = io.pgregent.core.dcs.ClusterCodec.nodes().objectNode();
    node.put("role", role);
    node.put("state", "running");
    return node;
  }

  @Test
  void versionsAreTheZnodeVersionPlusOne() throws Exception {
    createRaw(path.key(ClusterKey.CONFIG), "{\"ttl\":30}", CreateMode.PERSISTENT);
    ZooKeeperDcs a = member("a");
    assertThat(a.read().config().orElseThrow().version()).isEqualTo(1);
    assertThat(a.compareAndSet(ClusterKey.CONFIG, 1, "{\"ttl\":20}")).isTrue();
    assertThat(zk.admin().checkExists().forPath(path.key(ClusterKey.CONFIG)).getVersion())
        .isEqualTo(1);
    assertThat(a.read().config().orElseThrow().version()).isEqualTo(2);
    assertThat(a.compareAndSet(ClusterKey.CONFIG, 1, "{\"ttl\":10}")).isFalse();
    assertThat(a.compareAndDelete(ClusterKey.CONFIG, 2)).isTrue();
    assertThat(zk.admin().checkExists().forPath(path.key(ClusterKey.CONFIG))).isNull();
  }

  @Test
  void aNewTtlRestartsTheSessionWithThatTimeout() throws Exception {
    ZooKeeperDcs a = member("a");
    ZooKeeperDcs observer = member("observer");
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();
    long before = a.zooKeeperForTests().getSessionId();
    a.setTimings(new DcsTimings(Duration.ofSeconds(6), Duration.ofSeconds(2)));
    assertThat(a.renewSession()).isFalse();
    assertThat(a.zooKeeperForTests().getSessionId()).isNotEqualTo(before);
    assertThat(a.zooKeeperForTests().getSessionTimeout()).isEqualTo(6000);
    assertThat(observer.read().leader()).isEmpty();
    assertThat(a.refresh()).isTrue();
    assertThat(observer.read().isLockedBy("a")).isTrue();
    assertThat(a.renewSession()).isTrue();
  }

  @Test
  void aReaderThatNeverRenewsKeepsItsSession() throws Exception {
    ZooKeeperDcs observer = member("observer");
    observer.read();
    long session = observer.zooKeeperForTests().getSessionId();
    // Past the watchdog's limit: nothing of ours is ephemeral, so nothing is closed.
    await()
        .during(TIMINGS.ttl().plusSeconds(1))
        .atMost(TIMINGS.ttl().plusSeconds(5))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> observer.zooKeeperForTests().getSessionId() == session);
  }

  @Test
  void readsAnOptimeLeaderWrittenForOldAgents() throws Exception {
    createRaw(path.key(ClusterKey.OPTIME_LEADER), "67109632", CreateMode.PERSISTENT);
    ZooKeeperDcs a = member("a");
    assertThat(a.read().status().orElseThrow().optime()).isEqualTo(67109632);
    a.put(ClusterKey.OPTIME_LEADER, "67109700");
    assertThat(a.read().status().orElseThrow().optime()).isEqualTo(67109700);
  }
}
