package io.pgregent.agent.loop;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Map;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One test's real etcd, the base directory of its members' files and the agents it started there.
 * Closing it stops the agents (the last started first), then the store, then deletes the files.
 */
public final class TestCluster implements AutoCloseable {

  private final String scope;
  private final EtcdServer etcd;
  private final Path base;
  private final Deque<ConfigurableApplicationContext> agents = new ArrayDeque<>();

  /** Starts the store; members are started with {@link #run}. */
  public TestCluster(String scope) {
    this.scope = scope;
    this.etcd = EtcdServer.start();
    Path dir;
    try {
      dir = PostgresTestEnvironment.newBaseDir("regent-" + scope);
    } catch (RuntimeException e) {
      etcd.close();
      throw e;
    }
    this.base = dir;
  }

  public EtcdServer etcd() {
    return etcd;
  }

  public Path base() {
    return base;
  }

  /** The store's address as a member's {@code etcd3.hosts}. */
  public String hosts() {
    return "127.0.0.1:" + etcd.clientPort();
  }

  /** A member of this cluster, as {@link TestMembers#member} configures it. */
  public AgentConfig member(String name, Tags tags) {
    return TestMembers.member(base, scope, name, hosts(), tags);
  }

  /** A member with {@code extra} properties and, unless null, REST API credentials. */
  public AgentConfig member(
      String name, Tags tags, Map<String, Object> extra, Credentials restAuth) {
    return TestMembers.member(
        base, scope, name, hosts(), tags, extra, restAuth, TestMembers.bootstrapDcs());
  }

  /** Starts an agent, stopped with the cluster unless {@link #stop} stops it before. */
  public ConfigurableApplicationContext run(AgentConfig config) {
    return run(config, null);
  }

  /** Starts an agent on a configuration read from {@code source}, which a reload reads again. */
  public ConfigurableApplicationContext run(AgentConfig config, Path source) {
    ConfigurableApplicationContext agent = RegentApplication.run(config, source);
    agents.push(agent);
    return agent;
  }

  /** Stops one agent (and with it its PostgreSQL). */
  public void stop(ConfigurableApplicationContext agent) {
    agents.remove(agent);
    agent.close();
  }

  @Override
  public void close() {
    TestMembers.stopAll(etcd, base, new ArrayList<>(agents));
  }
}
