package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.PostgresController;
import io.pgregent.testsupport.EtcdServer;
import java.util.function.UnaryOperator;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two real agents on a real etcd: pg0 leading, pg1 streaming from it, for tests of what the replica
 * does once the leader's agent stops. Closing it stops whatever is still running.
 */
final class LeaderAndReplica implements AutoCloseable {

  private final TestCluster cluster;
  private ConfigurableApplicationContext pg0;
  private ConfigurableApplicationContext pg1;

  /** Starts the store; {@link #start} starts the members. */
  LeaderAndReplica(String scope) {
    this.cluster = new TestCluster(scope);
  }

  /**
   * Starts pg0 until it leads, then pg1 (its configuration changed by {@code replica}) streaming.
   */
  LeaderAndReplica start(UnaryOperator<AgentConfig> replica) {
    pg0 = cluster.run(cluster.member("pg0", Tags.none()));
    TestMembers.awaitLock(pg0.getBean(HaLoop.class));
    pg1 = cluster.run(replica.apply(cluster.member("pg1", Tags.none())));
    TestMembers.awaitStreaming(replicaLoop());
    return this;
  }

  HaLoop leaderLoop() {
    return pg0.getBean(HaLoop.class);
  }

  /** The leader's PostgreSQL. */
  PostgresController leaderPostgres() {
    return pg0.getBean(PostgresController.class);
  }

  /** The store the members share. */
  EtcdServer etcd() {
    return cluster.etcd();
  }

  HaLoop replicaLoop() {
    return pg1.getBean(HaLoop.class);
  }

  /** The replica's PostgreSQL. */
  PostgresController replicaPostgres() {
    return pg1.getBean(PostgresController.class);
  }

  /** One of the replica agent's beans. */
  <T> T replicaBean(Class<T> type) {
    return pg1.getBean(type);
  }

  /** The store as the replica's agent reads it. */
  Dcs dcs() {
    return pg1.getBean(Dcs.class);
  }

  /** Stops the leader's agent (and with it its PostgreSQL). */
  void stopLeader() {
    cluster.stop(pg0);
  }

  @Override
  public void close() {
    cluster.close();
  }
}
