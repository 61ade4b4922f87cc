package io.pgregent.agent.loop;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.RestApiSettings;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.springframework.context.ConfigurableApplicationContext;

/** Configurations of in-JVM test members of one cluster, and their clean-up. */
public final class TestMembers {

  public static final Credentials SUPERUSER = Credentials.of("postgres", "su-secret");
  public static final Credentials REPLICATION = Credentials.of("replicator", "rep-secret");

  private TestMembers() {}

  public static ObjectNode bootstrapDcs() {
    ObjectNode dcs = ClusterCodec.nodes().objectNode();
    dcs.put("ttl", 10);
    dcs.put("loop_wait", 2);
    dcs.put("retry_timeout", 3);
    dcs.put("maximum_lag_on_failover", 1048576);
    ObjectNode pg = dcs.putObject("postgresql");
    pg.put("use_pg_rewind", true);
    pg.put("use_slots", true);
    ObjectNode params = pg.putObject("parameters");
    params.put("max_connections", 30);
    params.put("max_wal_senders", 10);
    params.put("max_replication_slots", 10);
    params.put("wal_keep_size", "64MB");
    params.put("wal_log_hints", "on");
    return dcs;
  }

  static AgentConfig member(Path base, String scope, String name, String etcdHostPort, Tags tags) {
    return member(base, scope, name, etcdHostPort, tags, bootstrapDcs());
  }

  /** A member on etcd that bootstraps the cluster with {@code dcs} as its dynamic configuration. */
  static AgentConfig member(
      Path base, String scope, String name, String etcdHostPort, Tags tags, ObjectNode dcs) {
    return member(
        base,
        scope,
        name,
        etcdHostPort,
        tags,
        Map.of("management.endpoints.web.exposure.include", "health"),
        null,
        dcs);
  }

  /**
   * A member on etcd with {@code extra} properties, unless null REST API credentials, and {@code
   * dcs} as the dynamic configuration it bootstraps the cluster with.
   */
  public static AgentConfig member(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      Tags tags,
      Map<String, Object> extra,
      Credentials restAuth,
      ObjectNode dcs) {
    int pgPort = FreePorts.next();
    int apiPort = FreePorts.next();
    PostgresSettings pg =
        PostgresSettings.builder()
            .scope(scope)
            .name(name)
            .dataDir(base.resolve(name))
            .listen("127.0.0.1:" + pgPort)
            .connectAddress("127.0.0.1:" + pgPort)
            .superuser(SUPERUSER)
            .replication(REPLICATION)
            .pgHba(
                List.of(
                    "local all all trust",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "host replication all 127.0.0.1/32 scram-sha-256"))
            .postgresUser(PostgresTestEnvironment.osUser())
            .parameter("unix_socket_directories", base.resolve(name + "-sock").toString())
            .parameter("shared_buffers", "16MB")
            .parameter("fsync", "off")
            .pgpass(base.resolve(name + ".pgpass"))
            .pgCtlTimeout(Duration.ofSeconds(60))
            .connectTimeout(Duration.ofSeconds(3))
            .queryTimeout(Duration.ofSeconds(2))
            .build();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("scope", scope);
    props.put("name", name);
    props.put("etcd3.hosts", etcdHostPort);
    props.put("bootstrap.dcs.ttl", 10);
    props.put("bootstrap.dcs.retry_timeout", 3);
    props.putAll(extra);
    return new AgentConfig(
        scope,
        null,
        name,
        new RestApiSettings(
            "127.0.0.1",
            apiPort,
            "127.0.0.1:" + apiPort,
            restAuth == null ? null : restAuth.username(),
            restAuth == null ? null : restAuth.password()),
        pg,
        dcs,
        tags,
        props);
  }

  /** A loop that is never started: for what only reads its configuration or its empty snapshot. */
  public static HaLoop offlineLoop(AgentConfig config) {
    return new HaLoop(
        null,
        null,
        config,
        new FailsafeHeartbeats(),
        MachineTasks.INSTANCE,
        io.pgregent.core.time.Clock.system());
  }

  /**
   * Stops what a test started, each part even if another fails: the agents (in the order given),
   * then the store, then the members' files. Null parts were never started.
   */
  public static void stopAll(
      EtcdServer etcd, Path base, Iterable<ConfigurableApplicationContext> agents) {
    try {
      for (ConfigurableApplicationContext ctx : agents) {
        try {
          if (ctx != null) {
            ctx.close();
          }
        } catch (RuntimeException e) {
          // keep closing the others
        }
      }
    } finally {
      if (etcd != null) {
        etcd.close();
      }
      if (base != null) {
        PostgresTestEnvironment.deleteTree(base);
      }
    }
  }

  /** A superuser connection to the PostgreSQL at {@code hostPort}, as a client makes it. */
  static Connection connect(String hostPort) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://" + hostPort + "/postgres?connectTimeout=3&socketTimeout=5",
        SUPERUSER.username(),
        SUPERUSER.password());
  }

  /**
   * The first column of the rows {@code sql} returns at {@code hostPort}; none while unreadable.
   */
  static List<String> query(String hostPort, String sql) {
    try (Connection c = connect(hostPort);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
      return rows;
    } catch (SQLException e) {
      return List.of();
    }
  }

  /** The rows of {@code table} at {@code hostPort}, or -1 while it cannot be read. */
  static long count(String hostPort, String table) {
    List<String> rows = query(hostPort, "SELECT count(*) FROM " + table);
    return rows.isEmpty() ? -1 : Long.parseLong(rows.get(0));
  }

  /** A directory every OS user may write: PostgreSQL's programs may run as another user. */
  static Path sharedDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    return dir;
  }

  /** An executable shell script at {@code file}. */
  static Path script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /** A callback script at {@code file} that appends each call's arguments to {@code record}. */
  static Path recordingCallback(Path file, Path record) throws IOException {
    return script(file, "echo \"$@\" >> " + record + "\n");
  }

  /** Waits until {@code file} exists and holds {@code text}. */
  static void awaitFileContaining(Path file, String text) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> Files.exists(file) && Files.readString(file).contains(text));
  }

  /** Waits until the member's loop holds the leader lock. */
  static void awaitLock(HaLoop loop) {
    awaitSnapshot(loop, AgentSnapshot::holdsLock);
  }

  /** Waits until the member's PostgreSQL is a replica streaming from the leader. */
  static void awaitStreaming(HaLoop loop) {
    awaitSnapshot(
        loop,
        s -> s.postgres().server().map(pg -> pg.inRecovery() && pg.streaming()).orElse(false));
  }

  /** Waits until the member's loop has published a snapshot that meets {@code condition}. */
  static void awaitSnapshot(HaLoop loop, Predicate<AgentSnapshot> condition) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> loop.snapshot().map(condition::test).orElse(false));
  }

  /** Waits until the store shows {@code member}'s {@code replication_state} as {@code state}. */
  static void awaitReplicationState(Dcs dcs, String member, String state) {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                dcs.read()
                    .member(member)
                    .map(m -> m.data().path("replication_state").asText())
                    .orElse("")
                    .equals(state));
  }
}
