package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.RestApiSettings;
import io.pgregent.agent.config.Tags;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Configurations of in-JVM members for the REST tests. */
final class RestTestConfigs {

  static final Credentials SUPERUSER = Credentials.of("postgres", "su-secret");
  static final Credentials REPLICATION = Credentials.of("replicator", "rep-secret");

  private RestTestConfigs() {}

  static ObjectNode bootstrapDcs() {
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

  /** A configuration for pure tests: nothing is started from it. */
  static AgentConfig config(String name, Tags tags) {
    return member(Path.of("/nonexistent"), "rest", name, "127.0.0.1:2379", tags, Map.of(), null);
  }

  static AgentConfig member(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      Tags tags,
      Map<String, Object> extra,
      Credentials restAuth) {
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
        bootstrapDcs(),
        tags,
        props);
  }
}
