package io.pgregent.dcs.zookeeper;

import io.pgregent.dcs.tck.Closer;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** In-JVM ZooKeeper servers whose session limits let the tests use a ttl of a few seconds. */
final class ZooKeeperTestServers {

  /** The server's tick: sessions expire within one tick of their timeout. */
  static final int TICK_MS = 200;

  private ZooKeeperTestServers() {}

  /** A server on a free port; {@code serverId} -1 for a standalone one. */
  static InstanceSpec spec(int serverId) {
    return new InstanceSpec(
        null,
        -1,
        -1,
        -1,
        true,
        serverId,
        TICK_MS,
        -1,
        Map.of("minSessionTimeout", String.valueOf(2 * TICK_MS), "maxSessionTimeout", "60000"));
  }

  /**
   * A standalone server and a client of it outside the code under test, started before a test class
   * and closed after it ({@code @RegisterExtension} on a static field).
   */
  static final class Standalone implements BeforeAllCallback, AfterAllCallback {

    private TestingServer server;
    private CuratorFramework admin;

    TestingServer server() {
      return server;
    }

    CuratorFramework admin() {
      return admin;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      server = new TestingServer(spec(-1), true);
      admin =
          CuratorFrameworkFactory.newClient(
              server.getConnectString(), 10_000, 10_000, new RetryOneTime(100));
      admin.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      Closer.closeAll(admin, server);
    }
  }
}
