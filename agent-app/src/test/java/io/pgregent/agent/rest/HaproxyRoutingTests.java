package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestCluster;
import io.pgregent.agent.loop.TestMembers;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.ManagedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * HAProxy from Debian's packages with Patroni's documented configuration ({@code option httpchk},
 * {@code http-check expect status 200}, one port to the primary, one to the replicas) in front of
 * two agents: a JDBC connection reaches the current leader (checked with {@code OPTIONS /primary}
 * and with {@code GET /primary}), and the new one after a failover.
 */
@Timeout(300)
class HaproxyRoutingTests {

  @AutoClose static TestCluster cluster;
  static ManagedProcess haproxy;
  static final Map<String, AgentConfig> configs = new LinkedHashMap<>();
  static final Map<String, ConfigurableApplicationContext> agents = new LinkedHashMap<>();
  static int primaryOptionsPort;
  static int primaryGetPort;
  static int replicasPort;

  @BeforeAll
  static void start() throws IOException {
    cluster = new TestCluster("haproxy");
    Path base = cluster.base();
    for (String name : List.of("pg0", "pg1")) {
      AgentConfig c = cluster.member(name, Tags.none(), Map.of(), null);
      configs.put(name, c);
      agents.put(name, cluster.run(c));
    }
    primaryOptionsPort = FreePorts.next();
    primaryGetPort = FreePorts.next();
    replicasPort = FreePorts.next();
    StringBuilder cfg = new StringBuilder();
    cfg.append(
        """
        global
            maxconn 100

        defaults
            log global
            mode tcp
            retries 2
            timeout client 30m
            timeout connect 4s
            timeout server 30m
            timeout check 5s

        """);
    listen(cfg, "primary", primaryOptionsPort, "OPTIONS /primary");
    listen(cfg, "primary_get", primaryGetPort, "GET /primary");
    listen(cfg, "replicas", replicasPort, "OPTIONS /replica");
    Path file = base.resolve("haproxy.cfg");
    Files.writeString(file, cfg.toString());
    Path check = Files.writeString(base.resolve("haproxy-check.log"), "");
    ManagedProcess validate =
        ManagedProcess.start(
            "haproxy-check",
            List.of("haproxy", "-c", "-f", file.toString()),
            base,
            Map.of(),
            check);
    await().atMost(Duration.ofSeconds(30)).until(() -> !validate.isAlive());
    haproxy =
        ManagedProcess.start(
            "haproxy",
            List.of("haproxy", "-db", "-f", file.toString()),
            base,
            Map.of(),
            base.resolve("haproxy.log"));
  }

  /** Patroni's documented HAProxy section, with a faster check interval for the test. */
  private static void listen(StringBuilder cfg, String name, int port, String check) {
    cfg.append("listen ").append(name).append('\n');
    cfg.append("    bind 127.0.0.1:").append(port).append('\n');
    cfg.append("    option httpchk ").append(check).append('\n');
    cfg.append("    http-check expect status 200\n");
    cfg.append("    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions\n");
    for (AgentConfig c : configs.values()) {
      cfg.append("    server ")
          .append(c.name())
          .append(' ')
          .append(c.postgresql().connectAddress())
          .append(" maxconn 100 check port ")
          .append(c.restapi().listenPort())
          .append('\n');
    }
    cfg.append('\n');
  }

  /** HAProxy stops first; the agents and the store after it, with the cluster. */
  @AfterAll
  static void stopHaproxy() {
    if (haproxy != null) {
      haproxy.stop(Duration.ofSeconds(5));
    }
  }

  /** The PostgreSQL port behind an HAProxy port, and whether it is a writable primary. */
  record Backend(int port, boolean primary) {}

  static Backend through(int haproxyPort) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", TestMembers.SUPERUSER.username());
    p.setProperty("password", TestMembers.SUPERUSER.password());
    p.setProperty("connectTimeout", "3");
    p.setProperty("socketTimeout", "5");
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + haproxyPort + "/postgres", p);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("select inet_server_port(), not pg_is_in_recovery()")) {
      r.next();
      return new Backend(r.getInt(1), r.getBoolean(2));
    }
  }

  static int pgPort(String member) {
    return Integer.parseInt(configs.get(member).postgresql().connectAddress().split(":")[1]);
  }

  @Test
  void routesToTheLeaderAndToTheNewLeaderAfterFailover() throws Exception {
    String[] roles = new String[2];
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              Backend primary = through(primaryOptionsPort);
              assertThat(primary.primary()).isTrue();
              String leader = primary.port() == pgPort("pg0") ? "pg0" : "pg1";
              String replica = leader.equals("pg0") ? "pg1" : "pg0";
              assertThat(through(primaryGetPort)).isEqualTo(new Backend(pgPort(leader), true));
              assertThat(through(replicasPort)).isEqualTo(new Backend(pgPort(replica), false));
              roles[0] = leader;
              roles[1] = replica;
            });
    String leader = roles[0];
    String replica = roles[1];
    // every connection through the primary ports keeps reaching the leader
    for (int i = 0; i < 10; i++) {
      assertThat(through(primaryOptionsPort)).isEqualTo(new Backend(pgPort(leader), true));
      assertThat(through(primaryGetPort)).isEqualTo(new Backend(pgPort(leader), true));
    }

    // failover: the leader's agent stops (PostgreSQL stopped, lock released)
    agents.remove(leader).close();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertThat(through(primaryOptionsPort)).isEqualTo(new Backend(pgPort(replica), true));
              assertThat(through(primaryGetPort)).isEqualTo(new Backend(pgPort(replica), true));
            });
    assertThat(haproxy.isAlive()).as(haproxy.logTail(20)).isTrue();
  }
}
