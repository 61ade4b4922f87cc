package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigValidationTests {

  @TempDir Path dir;

  private LoadedConfig read(String yaml) {
    return new AgentConfigLoader(Map.of()).read(ConfigFixtures.write(dir, "p.yml", yaml));
  }

  /** MINIMAL with the line starting with {@code find} replaced (or {@code extra} appended). */
  private LoadedConfig readWith(String find, String replacement) {
    String text = ConfigFixtures.MINIMAL;
    if (find.isEmpty()) {
      return read(text + replacement.replace("\\n", "\n") + "\n");
    }
    assertThat(text).contains(find);
    return read(text.replace(find, replacement.replace("\\n", "\n")));
  }

  /** The configuration read from {@code yaml}, which has no problem at all. */
  private AgentConfig readClean(String yaml) {
    LoadedConfig loaded = read(yaml);
    assertThat(loaded.problems()).isEmpty();
    return loaded.config();
  }

  /** MINIMAL with these {@code bootstrap.dcs} timings, which load without errors. */
  private LoadedConfig readTimings(int ttl, int loopWait, int retryTimeout) {
    LoadedConfig loaded =
        readWith(
            "",
            "bootstrap:\n  dcs:\n    ttl: %d\n    loop_wait: %d\n    retry_timeout: %d"
                .formatted(ttl, loopWait, retryTimeout));
    assertThat(loaded.hasErrors()).isFalse();
    return loaded;
  }

  @Test
  void minimalConfigurationHasNoProblem() {
    LoadedConfig loaded = read(ConfigFixtures.MINIMAL);
    assertThat(loaded.problems()).isEmpty();
    assertThat(loaded.config()).isNotNull();
  }

  @Test
  void ctlSectionIsReadWithoutWarnings() {
    LoadedConfig loaded =
        readWith(
            "",
            "ctl:\\n  insecure: false\\n  cacert: /etc/ssl/ca.pem\\n  certfile: /c.pem\\n"
                + "  keyfile: /k.pem\\n  authentication:\\n    username: op\\n    password: pw");
    assertThat(loaded.problems()).isEmpty();

    LoadedConfig bad = readWith("", "ctl:\\n  insecure: maybe");
    assertThat(bad.errors()).singleElement().asString().startsWith("ctl.insecure: ");
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "listen: 127.0.0.1:8008|listen: 127.0.0.1|restapi.listen|has no port",
        "listen: 127.0.0.1:8008|listen: 127.0.0.1:99999|restapi.listen|invalid port",
        "listen: 127.0.0.1:8008|listen: host:http|restapi.listen|invalid port",
        "connect_address: 10.0.0.11:8008|connect_address: 0.0.0.0:8008|restapi.connect_address|wildcard",
        "connect_address: 10.0.0.11:8008|connect_address: '*:8008'|restapi.connect_address|wildcard",
        "connect_address: 10.0.0.11:5432|connect_address: 10.0.0.11|postgresql.connect_address|no port",
        "listen: 127.0.0.1:5432|listen: 5432|postgresql.listen|expected host:port",
        "hosts: 10.0.0.1:2379|hosts: {a: b}|etcd3.hosts|expected a list of host:port",
        "hosts: 10.0.0.1:2379|protocol: gopher|etcd3.protocol|one of http, https",
        "scope: batman|scope: [a, b]|scope|expected a string, not a list",
        "data_dir: /data/pg1|data_dir: {x: 1}|postgresql.data_dir|expected a string, not a map",
        "|postgresql_extra: 1\\npostgresql2: 1|postgresql2|unknown",
        "|bootstrap:\\n  dcs:\\n    ttl: thirty|bootstrap.dcs.ttl|expected a whole number, not \"thirty\"",
        "|bootstrap:\\n  dcs:\\n    ttl: 4|bootstrap.dcs.ttl|at least 5, not 4",
        "|bootstrap:\\n  dcs:\\n    loop_wait: 0|bootstrap.dcs.loop_wait|at least 1",
        "|bootstrap:\\n  dcs:\\n    retry_timeout: 0|bootstrap.dcs.retry_timeout|at least 1",
        "|bootstrap:\\n  dcs:\\n    loop_wait: -2|bootstrap.dcs.loop_wait|at least 1",
        "|bootstrap:\\n  dcs:\\n    retry_timeout: soon|bootstrap.dcs.retry_timeout|expected a whole number",
        "|bootstrap:\\n  dcs:\\n    maximum_lag_on_failover: -5|bootstrap.dcs.maximum_lag_on_failover|at least 0",
        "|bootstrap:\\n  dcs:\\n    synchronous_mode: sometimes|bootstrap.dcs.synchronous_mode|on, off or quorum",
        "|bootstrap:\\n  dcs:\\n    failsafe_mode: maybe|bootstrap.dcs.failsafe_mode|true or false",
        "|bootstrap:\\n  dcs: [1]|bootstrap.dcs|expected a map",
        "|bootstrap:\\n  dcs:\\n    standby_cluster:\\n      port: 70000|bootstrap.dcs.standby_cluster.port|at most 65535",
        "|bootstrap:\\n  dcs:\\n    standby_cluster:\\n      create_replica_methods: basebackup|bootstrap.dcs.standby_cluster.create_replica_methods|expected a list",
        "|bootstrap:\\n  initdb: [[1, 2]]|bootstrap.initdb[0]|expected an option",
        "|bootstrap:\\n  initdb: data-checksums|bootstrap.initdb|expected a list of options",
        "|bootstrap:\\n  pg_hba: host all all|bootstrap.pg_hba|expected a list of strings",
        "|tags:\\n  nofailover: perhaps|tags.nofailover|true or false",
        "|tags:\\n  failover_priority: -1|tags.failover_priority|at least 0",
        "|consul:\\n  port: 70000|consul.port|at most 65535",
        "|postgresql_pg_ctl: 1\\nregent:\\n  connect_timeout: 0|regent.connect_timeout|at least 1",
      })
  void invalidValueIsAnErrorNamingItsKey(
      String find, String replacement, String key, String message) {
    LoadedConfig loaded = readWith(find == null ? "" : find, replacement);

    assertThat(loaded.problems())
        .anySatisfy(
            p -> {
              assertThat(p.key()).isEqualTo(key);
              assertThat(p.message()).contains(message);
            });
    if (!message.equals("unknown")) {
      assertThat(loaded.config()).isNull();
      assertThat(loaded.errors()).extracting(ConfigProblem::key).contains(key);
    }
  }

  @Test
  void unknownKeysWarnNamingTheKeyAndTheConfigurationStillLoads() {
    LoadedConfig loaded =
        readWith(
            "",
            "colour: blue\nrestapi_x: 1\nregent:\n  nope: 1\nbootstrap:\n  dcs:\n"
                + "    postgresql:\n      strange: 1\n    unheard_of: 2");

    assertThat(loaded.hasErrors()).isFalse();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::toString)
        .contains(
            "colour: unknown key; ignored",
            "restapi_x: unknown key; ignored",
            "regent.nope: unknown key; ignored",
            "bootstrap.dcs.postgresql.strange: unknown key: stored and passed on as written",
            "bootstrap.dcs.unheard_of: unknown key: stored and passed on as written");
  }

  @Test
  void unsupportedPatroniKeysWarnAndAreIgnored() {
    LoadedConfig merged =
        read(
            ConfigFixtures.withRestapi("  ciphers: HIGH\n")
                + "citus:\n  group: 0\nttl: 30\n"
                + "log:\n  max_queue_size: 100\n  level: DEBUG\n");
    assertThat(merged.hasErrors()).isFalse();
    assertThat(merged.warnings())
        .extracting(ConfigProblem::key)
        .containsExactlyInAnyOrder("citus", "ttl", "log.max_queue_size");
    assertThat(merged.warnings())
        .filteredOn(p -> p.key().equals("citus"))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("not supported by Regent yet"));
    assertThat(merged.warnings())
        .filteredOn(p -> p.key().equals("ttl"))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("bootstrap.dcs"));
  }

  @Test
  void twoStoreSectionsAreAnErrorNamingBoth() {
    LoadedConfig loaded = readWith("", "zookeeper:\n  hosts: [10.0.0.1:2181]");

    assertThat(loaded.errors())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("etcd3, zookeeper");
              assertThat(p.message()).contains("etcd3 and zookeeper");
            });
  }

  @Test
  void aStoreSectionIsRequiredAndUnsupportedStoresAreNamed() {
    LoadedConfig none =
        read(ConfigFixtures.MINIMAL.replace("etcd3:\n  hosts: 10.0.0.1:2379\n", ""));
    assertThat(none.errors())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("no store section"));

    LoadedConfig k8s =
        read(
            ConfigFixtures.MINIMAL.replace(
                "etcd3:\n  hosts: 10.0.0.1:2379\n", "kubernetes:\n  namespace: default\n"));
    assertThat(k8s.errors())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("kubernetes");
              assertThat(p.message()).contains("not supported");
            });
    assertThat(k8s.warnings()).extracting(ConfigProblem::key).containsExactly("kubernetes");
  }

  @Test
  void missingRequiredKeysAreAllReported() {
    LoadedConfig loaded = read("etcd3:\n  host: 127.0.0.1:2379\n");

    assertThat(loaded.errors())
        .extracting(ConfigProblem::toString)
        .containsExactly(
            "scope: required but not set",
            "name: required but not set",
            "restapi.listen: required but not set",
            "restapi.connect_address: required but not set",
            "postgresql.listen: required but not set",
            "postgresql.connect_address: required but not set",
            "postgresql.data_dir: required but not set",
            "postgresql.authentication.superuser.username: required but not set",
            "postgresql.authentication.replication.username: required but not set");
  }

  @Test
  void credentialsMustBeComplete() {
    LoadedConfig loaded =
        read(
            ConfigFixtures.withRestapi("  authentication:\n    username: patroni\n")
                .replace(
                    "    replication:\n", "    rewind:\n      password: x\n    replication:\n"));

    assertThat(loaded.errors())
        .extracting(ConfigProblem::toString)
        .containsExactly(
            "restapi.authentication.password: required when restapi.authentication is set",
            "postgresql.authentication.rewind.username: required when"
                + " postgresql.authentication.rewind is set");
  }

  static Stream<Arguments> timingsWithOneWarning() {
    return Stream.of(
        // Patroni's acceptance suite writes these
        Arguments.of(
            20,
            2,
            10,
            "bootstrap.dcs.ttl: Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where"
                + " ttl=20. Adjusting loop_wait from 2 to 1 and retry_timeout from 10 to 9"),
        Arguments.of(
            20,
            10,
            6,
            "bootstrap.dcs.ttl: Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where"
                + " ttl=20 and retry_timeout=6. Adjusting loop_wait from 10 to 8"),
        Arguments.of(
            20,
            1,
            2,
            "bootstrap.dcs.retry_timeout: 2 is below Patroni's minimum of 3 (Patroni would raise it"
                + " to 3; Regent uses it as written)"));
  }

  /** Timings that break the rule are adjusted, a retry_timeout below 3 is used as written. */
  @ParameterizedTest(name = "ttl {0}, loop_wait {1}, retry_timeout {2}")
  @MethodSource("timingsWithOneWarning")
  void timingsOutsidePatronisRulesLoadWithOneWarning(
      int ttl, int loopWait, int retryTimeout, String warning) {
    LoadedConfig loaded = readTimings(ttl, loopWait, retryTimeout);

    assertThat(loaded.warnings()).extracting(ConfigProblem::toString).containsExactly(warning);
    // the configuration keeps what was written: it is what bootstrap stores
    assertThat(loaded.config().bootstrapDcs().get("loop_wait").intValue()).isEqualTo(loopWait);
    assertThat(loaded.config().bootstrapDcs().get("retry_timeout").intValue())
        .isEqualTo(retryTimeout);
  }

  @Test
  void ttlBelowTwentyIsAcceptedWithAWarning() {
    LoadedConfig loaded = readTimings(10, 2, 4);

    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .containsExactly("bootstrap.dcs.ttl");
    assertThat(loaded.config().bootstrapDcs().get("ttl").intValue()).isEqualTo(10);
  }

  @Test
  void loopbackConnectAddressWarns() {
    LoadedConfig loaded =
        readWith("connect_address: 10.0.0.11:8008", "connect_address: 127.0.0.1:8008");

    assertThat(loaded.hasErrors()).isFalse();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .containsExactly("restapi.connect_address");
  }

  @Test
  void aBootstrapMethodsRecoveryConfIsReadAndNotPassedAsAnArgument() {
    AgentConfig config =
        readClean(
            ConfigFixtures.MINIMAL
                + "bootstrap:\n  method: restore\n  restore:\n    command: /bin/restore\n"
                + "    test-argument: x\n    recovery_conf:\n"
                + "      recovery_target_action: promote\n"
                + "      restore_command: cp /archive/%f %p\n");
    var method = config.postgresql().bootstrap().method();
    assertThat(method.recoveryConf())
        .containsEntry("recovery_target_action", "promote")
        .containsEntry("restore_command", "cp /archive/%f %p");
    assertThat(method.extraParams()).containsOnlyKeys("test-argument");
  }

  @Test
  void configDirAndCustomConfAreRead() {
    var pg =
        readClean(
                ConfigFixtures.withPostgresql(
                    "  config_dir: /etc/postgresql/15/main\n"
                        + "  custom_conf: /etc/postgresql/15/main/base.conf\n"))
            .postgresql();
    assertThat(pg.configDirectory()).isEqualTo(java.nio.file.Path.of("/etc/postgresql/15/main"));
    assertThat(pg.customConf()).isEqualTo("/etc/postgresql/15/main/base.conf");
  }

  @Test
  void customReplicaAndBootstrapMethodsAreRecognisedAndNeedACommand() {
    var pg =
        readClean(
                ConfigFixtures.withPostgresql(
                        "  create_replica_methods: [wal_g, basebackup]\n"
                            + "  wal_g:\n    command: wal-g backup-fetch\n    no_leader: true\n"
                            + "    retries: 3\n")
                    + "bootstrap:\n  method: restore\n  restore:\n    command: /bin/restore\n"
                    + "    keep_existing_recovery_conf: true\n    target: latest\n")
            .postgresql();
    assertThat(pg.createReplicaMethods()).containsExactly("wal_g", "basebackup");
    assertThat(pg.replicaMethods().get("wal_g").command()).isEqualTo("wal-g backup-fetch");
    assertThat(pg.replicaMethods().get("wal_g").noLeader()).isTrue();
    assertThat(pg.replicaMethods().get("wal_g").extraParams()).containsEntry("retries", "3");
    assertThat(pg.bootstrap().method().name()).isEqualTo("restore");
    assertThat(pg.bootstrap().method().command()).isEqualTo("/bin/restore");
    assertThat(pg.bootstrap().method().keepExistingRecoveryConf()).isTrue();
    assertThat(pg.bootstrap().method().extraParams()).containsEntry("target", "latest");

    LoadedConfig missing =
        read(
            ConfigFixtures.withPostgresql("  create_replica_methods: [pgbackrest]\n")
                + "bootstrap:\n  method: restore\n");
    assertThat(missing.errors())
        .extracting(ConfigProblem::key)
        .containsExactly("postgresql.pgbackrest.command", "bootstrap.restore.command");
  }

  @Test
  void loadingWithErrorsThrowsOneLinePerError() {
    Path file =
        ConfigFixtures.write(
            dir,
            "bad.yml",
            ConfigFixtures.MINIMAL.replace("listen: 127.0.0.1:8008", "listen: nowhere")
                + "bootstrap:\n  dcs:\n    ttl: 2\ncolour: blue\n");

    assertThatThrownBy(() -> new AgentConfigLoader(Map.of()).load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.getMessage().lines().toList())
                  .containsExactly(
                      "restapi.listen: 'nowhere' has no port: write it as host:port",
                      "bootstrap.dcs.ttl: must be at least 5, not 2");
              assertThat(e.errors()).hasSize(2);
              assertThat(e.problems()).extracting(ConfigProblem::key).contains("colour");
            });
  }

  @Test
  void everyTableKeyHasAValidShape() {
    assertThat(ConfigKeys.all()).isNotEmpty();
    ConfigKeys.all()
        .forEach(
            (k, spec) -> {
              assertThat(k).doesNotStartWith(".").doesNotEndWith(".");
              assertThat(ConfigKeys.lookup(k)).isSameAs(spec);
            });
    assertThat(ConfigKeys.lookup("tags.my_custom_tag")).isNotNull();
    assertThat(ConfigKeys.lookup("nothing.here")).isNull();
    assertThat(List.copyOf(ConfigKeys.SUPPORTED_STORES)).contains("etcd3");
  }

  @Test
  void aConsulSectionIsAValidStore() {
    Path file =
        ConfigFixtures.write(
            dir,
            "consul.yml",
            ConfigFixtures.MINIMAL.replace(
                "etcd3:\n  hosts: 10.0.0.1:2379\n",
                "consul:\n  host: 127.0.0.1:8500\n  register_service: true\n"
                    + "  service_tags: [eu]\n  checks: []\n"));
    LoadedConfig loaded = new AgentConfigLoader(Map.of()).read(file);
    assertThat(loaded.errors()).isEmpty();
    assertThat(List.copyOf(ConfigKeys.SUPPORTED_STORES)).contains("consul");
  }
}
