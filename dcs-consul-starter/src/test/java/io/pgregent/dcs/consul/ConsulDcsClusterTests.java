package io.pgregent.dcs.consul;

import static io.pgregent.dcs.consul.ConsulDcsRequestTests.member;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.testsupport.ConsulServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The leader lock on a real three-server Consul cluster on loopback: losing the Raft leader, and
 * losing the agent a holder talks to (whose node health check ends the session by default).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ConsulDcsClusterTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(2));
  private static final ClusterPath PATH = ClusterPath.of("/service", "ensemble");

  private List<ConsulServer> servers = List.of();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void startCluster() {
    String unavailable = ConsulServer.unavailableReason();
    assumeTrue(unavailable == null, unavailable);
    servers = ConsulServer.cluster(3);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    servers.forEach(ConsulServer::close);
  }

  private ConsulDcs via(ConsulServer server, String name, List<String> checks) {
    ConsulSettings s = TestConsulSettings.of(server.url(), t -> t.checks = checks);
    ConsulDcs d = new ConsulDcs(s, PATH, name, TIMINGS);
    closeables.add(d);
    return d;
  }

  /** The server that leads Raft now, as every live server reports it. */
  private ConsulServer raftLeader() {
    ConsulServer any = servers.stream().filter(ConsulServer::isRunning).findFirst().orElseThrow();
    String leader = new ConsulAdmin(any.url(), null).get("/v1/status/leader").asText();
    for (ConsulServer s : servers) {
      if (leader.equals(s.serverAddress())) {
        return s;
      }
    }
    throw new AssertionError("no server is the leader " + leader);
  }

  private List<ConsulServer> followersOf(ConsulServer leader) {
    List<ConsulServer> followers = new ArrayList<>(servers);
    followers.remove(leader);
    return followers;
  }

  @Test
  void theLockAndItsHolderSurviveTheLossOfTheRaftLeader() {
    ConsulServer leader = raftLeader();
    List<ConsulServer> followers = followersOf(leader);
    ConsulDcs a = via(followers.get(0), "a", null);
    ConsulDcs b = via(followers.get(1), "b", null);
    a.renewSession();
    a.touchMember(member("primary", "running"));
    assertThat(a.tryAcquire()).isTrue();

    leader.kill();

    // The two servers left elect a leader; the holder renews and keeps the lock meanwhile.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreException(DcsUnreachableException.class)
        .until(() -> a.renewSession() && a.refresh());
    assertThat(b.read().isLockedBy("a")).isTrue();
    b.renewSession();
    assertThat(b.tryAcquire()).as("the lock is still held").isFalse();
  }

  @Test
  void byDefaultAHoldersSessionEndsWithItsAgentAndAnotherMemberTakesOver() {
    ConsulServer leader = raftLeader();
    List<ConsulServer> followers = followersOf(leader);
    ConsulDcs a = via(followers.get(0), "a", null);
    ConsulDcs b = via(followers.get(1), "b", null);
    a.renewSession();
    assertThat(a.tryAcquire()).isTrue();

    followers.get(0).kill(); // a's agent, whose node's serfHealth a's session is bound to

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreException(DcsUnreachableException.class)
        .until(() -> b.read().leader().isEmpty());
    b.renewSession();
    assertThat(b.tryAcquire()).isTrue();
  }
}
