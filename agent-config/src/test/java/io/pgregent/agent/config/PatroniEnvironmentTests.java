package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PatroniEnvironmentTests {

  private final List<ConfigProblem> problems = new ArrayList<>();

  private Map<String, Object> read(Map<String, String> env) {
    return PatroniEnvironment.read(env, problems, java.util.Set.of());
  }

  private Object at(Map<String, Object> tree, String path) {
    return ConfigValues.get(tree, path);
  }

  @Test
  void identityAndSections() {
    Map<String, Object> t =
        read(
            Map.ofEntries(
                Map.entry("PATRONI_NAME", "pg1"),
                Map.entry("PATRONI_SCOPE", "batman"),
                Map.entry("PATRONI_NAMESPACE", "/db/"),
                Map.entry("PATRONI_RESTAPI_LISTEN", "0.0.0.0:8008"),
                Map.entry("PATRONI_RESTAPI_CONNECT_ADDRESS", "10.0.0.1:8008"),
                Map.entry("PATRONI_RESTAPI_USERNAME", "u"),
                Map.entry("PATRONI_RESTAPI_PASSWORD", "p"),
                Map.entry("PATRONI_RESTAPI_ALLOWLIST", "10.0.0.0/8, 127.0.0.1"),
                Map.entry("PATRONI_RESTAPI_REQUEST_QUEUE_SIZE", "10"),
                Map.entry("PATRONI_POSTGRESQL_LISTEN", "*:5432"),
                Map.entry("PATRONI_POSTGRESQL_CONNECT_ADDRESS", "10.0.0.1:5432"),
                Map.entry("PATRONI_POSTGRESQL_DATA_DIR", "/data"),
                Map.entry("PATRONI_POSTGRESQL_BIN_DIR", "/usr/lib/postgresql/15/bin"),
                Map.entry("PATRONI_POSTGRESQL_PGPASS", "/tmp/pgpass"),
                Map.entry("PATRONI_POSTGRESQL_CONFIG_DIR", "/etc/pg"),
                Map.entry("PATRONI_POSTGRESQL_BIN_PG_CTL", "pg_ctl15"),
                Map.entry("PATRONI_POSTGRESQL_BIN_PG_REWIND", "pg_rewind15"),
                Map.entry("PATRONI_SUPERUSER_USERNAME", "postgres"),
                Map.entry("PATRONI_SUPERUSER_PASSWORD", "su"),
                Map.entry("PATRONI_SUPERUSER_SSLMODE", "verify-full"),
                Map.entry("PATRONI_SUPERUSER_SSLROOTCERT", "/ca.pem"),
                Map.entry("PATRONI_REPLICATION_USERNAME", "rep"),
                Map.entry("PATRONI_REWIND_USERNAME", "rw"),
                Map.entry("PATRONI_LOG_LEVEL", "DEBUG"),
                Map.entry("PATRONI_LOG_FILE_NUM", "4"),
                Map.entry("PATRONI_LOG_LOGGERS", "urllib3: WARNING"),
                Map.entry("PATRONI_EMPTY_HOST", ""),
                Map.entry("PATH", "/usr/bin")));

    assertThat(problems).isEmpty();
    assertThat(t)
        .containsEntry("name", "pg1")
        .containsEntry("scope", "batman")
        .containsEntry("namespace", "/db/")
        .doesNotContainKeys("PATH", "empty", "path");
    assertThat(at(t, "restapi.listen")).isEqualTo("0.0.0.0:8008");
    assertThat(at(t, "restapi.connect_address")).isEqualTo("10.0.0.1:8008");
    assertThat(at(t, "restapi.authentication")).isEqualTo(Map.of("username", "u", "password", "p"));
    assertThat(at(t, "restapi.allowlist")).isEqualTo(List.of("10.0.0.0/8", "127.0.0.1"));
    assertThat(at(t, "restapi.request_queue_size")).isEqualTo(10);
    assertThat(at(t, "postgresql.listen")).isEqualTo("*:5432");
    assertThat(at(t, "postgresql.data_dir")).isEqualTo("/data");
    assertThat(at(t, "postgresql.bin_dir")).isEqualTo("/usr/lib/postgresql/15/bin");
    assertThat(at(t, "postgresql.pgpass")).isEqualTo("/tmp/pgpass");
    assertThat(at(t, "postgresql.config_dir")).isEqualTo("/etc/pg");
    assertThat(at(t, "postgresql.bin_name"))
        .isEqualTo(Map.of("pg_ctl", "pg_ctl15", "pg_rewind", "pg_rewind15"));
    assertThat(at(t, "postgresql.authentication.superuser"))
        .isEqualTo(
            Map.of(
                "username", "postgres",
                "password", "su",
                "sslmode", "verify-full",
                "sslrootcert", "/ca.pem"));
    assertThat(at(t, "postgresql.authentication.replication.username")).isEqualTo("rep");
    assertThat(at(t, "postgresql.authentication.rewind.username")).isEqualTo("rw");
    assertThat(at(t, "log.level")).isEqualTo("DEBUG");
    assertThat(at(t, "log.file_num")).isEqualTo(4);
    assertThat(at(t, "log.loggers")).isEqualTo(Map.of("urllib3", "WARNING"));
  }

  @Test
  void storeSections() {
    Map<String, Object> t =
        read(
            Map.ofEntries(
                Map.entry("PATRONI_ETCD3_HOSTS", "10.0.0.1:2379,10.0.0.2:2379"),
                Map.entry("PATRONI_ETCD3_PROTOCOL", "https"),
                Map.entry("PATRONI_ETCD3_USERNAME", "root"),
                Map.entry("PATRONI_ETCD3_PASSWORD", "pw"),
                Map.entry("PATRONI_ETCD3_CACERT", "/ca.pem"),
                Map.entry("PATRONI_ETCD3_CERT", "/c.pem"),
                Map.entry("PATRONI_ETCD3_KEY", "/k.pem"),
                Map.entry("PATRONI_ETCD_HOST", "10.0.0.9:2379"),
                Map.entry("PATRONI_ETCD_USE_PROXIES", "true"),
                Map.entry("PATRONI_ZOOKEEPER_HOSTS", "['zk1:2181', 'zk2:2181']"),
                Map.entry("PATRONI_ZOOKEEPER_SET_ACLS", "CN=admin: [ALL]"),
                Map.entry("PATRONI_CONSUL_HOST", "127.0.0.1:8500"),
                Map.entry("PATRONI_CONSUL_URL", "http://127.0.0.1:8500"),
                Map.entry("PATRONI_CONSUL_PORT", "8500"),
                Map.entry("PATRONI_CONSUL_SCHEME", "http"),
                Map.entry("PATRONI_CONSUL_TOKEN", "tok"),
                Map.entry("PATRONI_CONSUL_DC", "dc1"),
                Map.entry("PATRONI_CONSUL_REGISTER_SERVICE", "on"),
                Map.entry("PATRONI_CONSUL_SERVICE_TAGS", "a,b"),
                Map.entry("PATRONI_CITUS_GROUP", "1"),
                Map.entry("PATRONI_CITUS_HOST", "ignored")));

    assertThat(at(t, "etcd3"))
        .isEqualTo(
            Map.of(
                "hosts", List.of("10.0.0.1:2379", "10.0.0.2:2379"),
                "protocol", "https",
                "username", "root",
                "password", "pw",
                "cacert", "/ca.pem",
                "cert", "/c.pem",
                "key", "/k.pem"));
    assertThat(at(t, "etcd")).isEqualTo(Map.of("host", "10.0.0.9:2379", "use_proxies", true));
    assertThat(at(t, "zookeeper.hosts")).isEqualTo(List.of("zk1:2181", "zk2:2181"));
    assertThat(at(t, "zookeeper.set_acls")).isEqualTo(Map.of("CN=admin", List.of("ALL")));
    assertThat(at(t, "consul"))
        .isEqualTo(
            Map.of(
                "host", "127.0.0.1:8500",
                "url", "http://127.0.0.1:8500",
                "port", 8500,
                "scheme", "http",
                "token", "tok",
                "dc", "dc1",
                "register_service", true,
                "service_tags", List.of("a", "b")));
    assertThat(at(t, "citus")).isEqualTo(Map.of("group", 1));
  }

  @Test
  void oldLogVariableNamesAreReadWhenTheNewOnesAreAbsent() {
    Map<String, Object> t =
        read(
            Map.of(
                "PATRONI_LOGLEVEL", "WARNING",
                "PATRONI_LOGFORMAT", "%(message)s",
                "PATRONI_LOG_FORMAT", "%(asctime)s"));

    assertThat(at(t, "log.level")).isEqualTo("WARNING");
    assertThat(at(t, "log.format")).isEqualTo("%(asctime)s");
  }

  @Test
  void logFormatWithoutFieldsIsAListAndNumbersAreReadAsPatroniDoes() {
    Map<String, Object> t =
        read(
            Map.of(
                "PATRONI_LOG_FORMAT", "message, {asctime: '@timestamp'}",
                "PATRONI_LOG_MODE", "0640",
                "PATRONI_LOG_FILE_SIZE", "0x1000",
                "PATRONI_LOG_FILE_NUM", "10"));

    assertThat(at(t, "log.format")).isEqualTo(List.of("message", Map.of("asctime", "@timestamp")));
    assertThat(at(t, "log.mode")).isEqualTo(0640);
    assertThat(at(t, "log.file_size")).isEqualTo(4096);
    assertThat(at(t, "log.file_num")).isEqualTo(10);
    assertThat(problems).isEmpty();
  }

  @Test
  void etcdCredentialsApplyWhenTheFileHasTheSection() {
    Map<String, String> env = Map.of("PATRONI_ETCD3_PASSWORD", "pw");

    assertThat(read(env)).isEmpty();
    assertThat(PatroniEnvironment.read(env, problems, java.util.Set.of("etcd3")))
        .isEqualTo(Map.of("etcd3", Map.of("password", "pw")));
  }

  @Test
  void tagsHaveNoVariables() {
    assertThat(read(Map.of("PATRONI_TAGS_NOFAILOVER", "true", "PATRONI_NOFAILOVER", "true")))
        .isEmpty();
  }

  @Test
  void unparsableListOrMapWarnsNamingTheVariable() {
    Map<String, Object> t =
        read(
            Map.of(
                "PATRONI_ZOOKEEPER_AUTH_DATA", "{unclosed: [", "PATRONI_CONSUL_CHECKS", "[a, {"));

    assertThat(t).isEmpty();
    assertThat(problems)
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("PATRONI_ZOOKEEPER_AUTH_DATA", "PATRONI_CONSUL_CHECKS");
    assertThat(problems).allSatisfy(p -> assertThat(p.isError()).isFalse());
  }
}
