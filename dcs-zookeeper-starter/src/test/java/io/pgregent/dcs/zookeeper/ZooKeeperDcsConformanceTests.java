package io.pgregent.dcs.zookeeper;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.tck.DcsConformanceTests;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The conformance kit against a real ZooKeeper: Curator's in-JVM {@link TestingServer} on a free
 * port, restarted on the same port and data for the restart case.
 */
class ZooKeeperDcsConformanceTests extends DcsConformanceTests {

  @RegisterExtension
  static final ZooKeeperTestServers.Standalone zk = new ZooKeeperTestServers.Standalone();

  @Override
  protected String serverAddress() {
    return "127.0.0.1:" + zk.server().getPort();
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return new ZooKeeperDcs(ZooKeeperSettings.of(address), path, member, timings);
  }

  @Override
  protected void restartServer() {
    try {
      zk.server().restart();
    } catch (Exception e) {
      throw new IllegalStateException("restarting ZooKeeper failed", e);
    }
  }

  @Override
  protected void writeRaw(String key, String value) {
    try {
      zk.admin()
          .create()
          .orSetData()
          .creatingParentsIfNeeded()
          .forPath(key, value.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException("raw write of " + key + " failed", e);
    }
  }

  @Override
  protected Optional<String> readRaw(String key) {
    try {
      return Optional.of(new String(zk.admin().getData().forPath(key), StandardCharsets.UTF_8));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw new IllegalStateException("raw read of " + key + " failed", e);
    }
  }
}
