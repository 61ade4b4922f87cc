package io.pgregent.agent.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A standalone ZooKeeper server inside this JVM, on a free loopback port, its snapshots and log in
 * a directory: the demo's store, so that it needs nothing installed but PostgreSQL.
 */
final class EmbeddedZooKeeper implements AutoCloseable {

  private static final int TICK_MILLIS = 500;

  private final ZooKeeperServer server;
  private final ServerCnxnFactory connections;

  private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory connections) {
    this.server = server;
    this.connections = connections;
  }

  static EmbeddedZooKeeper start(Path dataDir) throws IOException, InterruptedException {
    ZooKeeperServer server = new ZooKeeperServer(dataDir.toFile(), dataDir.toFile(), TICK_MILLIS);
    // Session timeout = the agents' ttl: allow 1 s to 5 min rather than the 2-20 ticks default.
    server.setMinSessionTimeout(1_000);
    server.setMaxSessionTimeout(300_000);
    ServerCnxnFactory connections =
        ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
    try {
      connections.startup(server);
    } catch (IOException | InterruptedException | RuntimeException e) {
      connections.shutdown();
      throw e;
    }
    return new EmbeddedZooKeeper(server, connections);
  }

  /** {@code host:port} for the agents' {@code zookeeper.hosts}. */
  String connectString() {
    return "127.0.0.1:" + connections.getLocalPort();
  }

  @Override
  public void close() {
    connections.shutdown();
    server.shutdown();
  }
}
