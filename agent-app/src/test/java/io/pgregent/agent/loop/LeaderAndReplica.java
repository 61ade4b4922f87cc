package io.pgregent.agent.loop;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A cluster of two real agents on a real etcd: pg0 leading, pg1 streaming from it, for tests of
 * what the replica does once the leader's agent stops. Closing it stops whatever is still running.
 */
final class LeaderAndReplica implements AutoCloseable {

  private final EtcdServer etcd;
  private final Path base;
  private final String scope;
  private ConfigurableApplicationContext pg0;
  private ConfigurableApplicationContext pg1;

  /** Starts the store; {@link #start} starts the members. */
  LeaderAndReplica(String scope) {
    this.scope = scope;
    this.etcd = EtcdServer.start();
    this.base = PostgresTestEnvironment.newBaseDir("regent-" + scope);
  }

  /**
   * Starts pg0 until it leads, then pg1 (its configuration changed by {@code replica}) streaming.
   */
  LeaderAndReplica start(UnaryOperator<AgentConfig> replica) {
    String hosts = "127.0.0.1:" + etcd.clientPort();
    pg0 = RegentApplication.run(TestMembers.member(base, scope, "pg0", hosts, Tags.none()));
    TestMembers.awaitLock(pg0.getBean(HaLoop.class));
    pg1 =
        RegentApplication.run(
            replica.apply(TestMembers.member(base, scope, "pg1", hosts, Tags.none())));
    TestMembers.awaitStreaming(replicaLoop());
    return this;
  }

  HaLoop replicaLoop() {
    return pg1.getBean(HaLoop.class);
  }

  /** The store as the replica's agent reads it. */
  Dcs dcs() {
    return pg1.getBean(Dcs.class);
  }

  /** Stops the leader's agent (and with it its PostgreSQL). */
  void stopLeader() {
    pg0.close();
    pg0 = null;
  }

  @Override
  public void close() {
    TestMembers.stopAll(etcd, base, Arrays.asList(pg1, pg0));
  }
}
