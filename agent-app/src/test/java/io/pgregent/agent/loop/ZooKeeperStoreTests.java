package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.lease.LeaseGuard;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The same agent runs on ZooKeeper when its configuration has a {@code zookeeper:} section. Its
 * server grants sessions shorter than the ttl (maxSessionTimeout 8 s, ttl 10 s), as a ZooKeeper
 * with a short tickTime does: the leader's lease deadline must count from the session it got.
 */
@Timeout(180)
class ZooKeeperStoreTests {

  @Test
  void aZooKeeperSectionRunsTheAgentOnZooKeeper() throws Exception {
    Path base = PostgresTestEnvironment.newBaseDir("regent-zk-agent");
    try (TestingServer zk =
            new TestingServer(
                new InstanceSpec(
                    null,
                    -1,
                    -1,
                    -1,
                    true,
                    -1,
                    200,
                    -1,
                    Map.of("minSessionTimeout", "400", "maxSessionTimeout", "8000")),
                true);
        CuratorFramework admin =
            CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
      admin.start();
      AgentConfig etcdShaped = TestMembers.member(base, "zkdemo", "pg0", "unused:1", Tags.none());
      Map<String, Object> props = new LinkedHashMap<>(etcdShaped.properties());
      props.remove("etcd3.hosts");
      props.put("zookeeper.hosts", zk.getConnectString());
      AgentConfig config =
          new AgentConfig(
              etcdShaped.scope(),
              etcdShaped.namespace(),
              etcdShaped.name(),
              etcdShaped.restapi(),
              etcdShaped.postgresql(),
              etcdShaped.bootstrapDcs(),
              etcdShaped.tags(),
              props);
      ConfigurableApplicationContext agent = RegentApplication.run(config);
      try {
        assertThat(agent.getBean(Dcs.class).toString()).contains("ZooKeeperDcs");
        await()
            .atMost(Duration.ofSeconds(120))
            .ignoreExceptions()
            .until(
                () ->
                    new String(
                            admin.getData().forPath("/service/zkdemo/leader"),
                            StandardCharsets.UTF_8)
                        .equals("pg0"));
        assertThat(admin.checkExists().forPath("/service/zkdemo/initialize")).isNotNull();
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    new String(
                            admin.getData().forPath("/service/zkdemo/members/pg0"),
                            StandardCharsets.UTF_8)
                        .contains("\"role\":\"primary\""));

        // The session the server granted, not the ttl, is how long the leader znode outlives a
        // frozen agent: the deadline is at most 8 s - margin after each renewal, never 10 s -
        // margin.
        Dcs dcs = agent.getBean(Dcs.class);
        assertThat(dcs.timings().ttl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(dcs.leaseDuration()).isEqualTo(Duration.ofSeconds(8));
        LeaseGuard guard = agent.getBean(HaLoop.class).leaseGuard();
        Duration bound =
            Duration.ofSeconds(8).minus(LeaseGuard.defaultMargin(Duration.ofSeconds(10)));
        await().atMost(Duration.ofSeconds(60)).until(() -> guard.remaining().isPresent());
        // Several renewals (loop_wait 2 s): right after each one the deadline is furthest away.
        await()
            .during(Duration.ofSeconds(6))
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> guard.remaining().map(r -> r.compareTo(bound) <= 0).orElse(true));
      } finally {
        agent.close();
      }
    } finally {
      PostgresTestEnvironment.deleteTree(base);
    }
  }
}
