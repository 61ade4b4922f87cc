package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code POST /reload} puts the edited file's {@code postgresql:} section and REST credentials in
 * force without a restart, as Patroni does: a changed parameter is reloaded (one that needs a
 * restart shows as pending restart), pg_hba is rewritten, the new on_reload callback runs, and the
 * REST API asks for the new credentials.
 */
@Timeout(300)
class LocalSettingsReloadTests {

  @AutoClose private static TestCluster cluster;
  private static Path base;
  private static Path file;
  private static Path out;
  private static int pgPort;
  private static int apiPort;
  private static ConfigurableApplicationContext agent;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster("reload");
    base = cluster.base();
    out = TestMembers.sharedDir(base.resolve("out"));
    pgPort = FreePorts.next();
    apiPort = FreePorts.next();
    file = base.resolve("patroni.yml");
    Files.writeString(file, yaml("4MB", "16MB", "", ""));
    AgentConfig config = new AgentConfigLoader(Map.of()).load(file).config();
    agent = cluster.run(config, file);
  }

  private static String yaml(String workMem, String sharedBuffers, String extraHba, String more) {
    Path sock = base.resolve("sock");
    return String.join(
        "\n",
        "scope: reload",
        "name: pg0",
        "restapi:",
        "  listen: 127.0.0.1:" + apiPort,
        "  connect_address: 127.0.0.1:" + apiPort,
        more.contains("restapi-auth")
            ? "  authentication:\n    username: admin\n    password: admin-pass"
            : "",
        "etcd3:",
        "  hosts: " + cluster.hosts(),
        "bootstrap:",
        "  dcs:",
        "    ttl: 10",
        "    loop_wait: 1",
        "    retry_timeout: 3",
        "    postgresql:",
        "      parameters:",
        "        max_connections: 30",
        "        max_wal_senders: 5",
        "        wal_keep_size: 64MB",
        "regent:",
        "  postgres_user: " + PostgresTestEnvironment.osUser(),
        "postgresql:",
        "  listen: 127.0.0.1:" + pgPort,
        "  connect_address: 127.0.0.1:" + pgPort,
        "  data_dir: " + base.resolve("pg0"),
        "  pgpass: " + base.resolve("pg0.pgpass"),
        "  authentication:",
        "    superuser: {username: postgres, password: su-secret}",
        "    replication: {username: replicator, password: rep-secret}",
        "  pg_hba:",
        "    - local all all trust",
        "    - host all all 127.0.0.1/32 scram-sha-256",
        "    - host replication all 127.0.0.1/32 scram-sha-256",
        extraHba.isEmpty() ? "" : "    - " + extraHba,
        more.contains("callback")
            ? "  callbacks:\n    on_reload: " + base.resolve("callback.sh")
            : "",
        "  parameters:",
        "    unix_socket_directories: " + sock,
        "    shared_buffers: " + sharedBuffers,
        "    fsync: 'off'",
        "    work_mem: " + workMem,
        "");
  }

  @Test
  void postReloadAppliesTheEditedPostgresqlSectionAndRestCredentials() throws Exception {
    await().atMost(Duration.ofSeconds(120)).until(() -> query("SHOW work_mem").equals("4MB"));
    Path callback =
        TestMembers.recordingCallback(base.resolve("callback.sh"), out.resolve("callbacks"));

    Files.writeString(
        file,
        yaml("7MB", "24MB", "host all all 10.9.9.9/32 reject", "callback restapi-auth"),
        StandardCharsets.UTF_8);
    assertThat(post(null)).isEqualTo(202);

    await().atMost(Duration.ofSeconds(60)).until(() -> query("SHOW work_mem").equals("7MB"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                query("SELECT pending_restart::text FROM pg_settings WHERE name='shared_buffers'")
                    .equals("true"));
    assertThat(Files.readString(base.resolve("pg0").resolve("pg_hba.conf")))
        .contains("host all all 10.9.9.9/32 reject");
    TestMembers.awaitFileContaining(out.resolve("callbacks"), "on_reload primary reload");
    // The REST API now asks for the new credentials.
    assertThat(post(null)).isEqualTo(401);
    assertThat(post("admin:admin-pass")).isEqualTo(202);
  }

  private static int post(String credentials) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/reload"))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (credentials != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }
    return HttpClient.newHttpClient()
        .send(b.build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private static String query(String sql) {
    List<String> rows = TestMembers.query("127.0.0.1:" + pgPort, sql);
    return rows.isEmpty() ? "" : rows.get(0);
  }
}
