package io.pgregent.dcs.zookeeper;

import java.util.Map;
import org.apache.curator.test.InstanceSpec;

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
}
