package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigLoaderTests {

  @TempDir Path dir;

  private LoadedConfig loadPatroni302(Map<String, String> env) {
    Path file =
        ConfigFixtures.write(dir, "patroni.yml", ConfigFixtures.resource("patroni-3.0.2.yml"));
    return new AgentConfigLoader(env).load(file);
  }

  @Test
  void realPatroni302ConfigurationLoadsWithWarningsOnly() {
    LoadedConfig loaded = loadPatroni302(Map.of());

    assertThat(loaded.hasErrors()).isFalse();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .contains("bootstrap.users", "bootstrap.dcs.master_start_timeout");
    // Patroni's file logging is Regent's too.
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .noneMatch(k -> k.startsWith("log."));
    assertThat(loaded.config().log().dir()).isEqualTo(Path.of("/var/log/patroni"));
    assertThat(loaded.warnings())
        .filteredOn(p -> p.key().equals("bootstrap.users"))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("deprecated"));
    AgentConfig c = loaded.config();
    assertThat(c.scope()).isEqualTo("batman");
    assertThat(c.namespace()).isEqualTo("/service/");
    assertThat(c.name()).isEqualTo("pg1");
    assertThat(c.restapi().listenHost()).isEqualTo("0.0.0.0");
    assertThat(c.restapi().listenPort()).isEqualTo(8008);
    assertThat(c.restapi().connectAddress()).isEqualTo("10.0.0.11:8008");
    assertThat(c.restapi().username()).isEqualTo("patroni");
    assertThat(c.restapi().password()).isEqualTo("s3cr3t-rest");
  }

  @Test
  void postgresqlSectionMapsEveryKey() {
    PostgresSettings pg = loadPatroni302(Map.of()).config().postgresql();

    assertThat(pg.scope()).isEqualTo("batman");
    assertThat(pg.name()).isEqualTo("pg1");
    assertThat(pg.listen()).isEqualTo("0.0.0.0:5432");
    assertThat(pg.port()).isEqualTo(5432);
    assertThat(pg.connectAddress()).isEqualTo("10.0.0.11:5432");
    assertThat(pg.dataDir()).isEqualTo(Path.of("/var/lib/postgresql/15/main"));
    assertThat(pg.binDir()).isEqualTo(Path.of("/usr/lib/postgresql/15/bin"));
    assertThat(pg.pgpass()).isEqualTo(Path.of("/var/lib/postgresql/.pgpass_patroni"));
    assertThat(pg.superuser()).isEqualTo(Credentials.of("postgres", "super-pass"));
    assertThat(pg.replication()).isEqualTo(Credentials.of("replicator", "repl-pass"));
    assertThat(pg.rewindCredentials()).isEqualTo(Credentials.of("rewind_user", "rewind-pass"));
    assertThat(pg.parameters())
        .containsEntry("shared_buffers", "256MB")
        .containsEntry("unix_socket_directories", "/var/run/postgresql")
        .containsEntry("auto_explain.log_min_duration", "5s");
    assertThat(pg.pgHba()).hasSize(3).first().isEqualTo("local all all peer");
    assertThat(pg.createReplicaMethods()).containsExactly("basebackup");
    assertThat(pg.basebackup())
        .containsExactly(Map.of("max-rate", "100M"), Map.of("checkpoint", "fast"));
    assertThat(pg.callbacks().onRoleChange()).isEqualTo("/usr/local/bin/on_role_change.sh");
    assertThat(pg.callbacks().onStart()).isNull();
    assertThat(pg.pgCtlTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(pg.removeDataDirectoryOnRewindFailure()).isTrue();
    assertThat(pg.removeDataDirectoryOnDivergedTimelines()).isFalse();
    assertThat(pg.usePgRewind()).isFalse(); // local key absent: the dynamic one is in the store
    assertThat(pg.postgresUser()).isEqualTo("postgres");
    assertThat(pg.bootstrap().initdb())
        .containsExactly(Map.of("encoding", "UTF8"), Map.of("locale", "C.UTF-8"), "data-checksums");
    assertThat(pg.bootstrap().pgHba())
        .containsExactly(
            "host replication replicator 10.0.0.0/24 scram-sha-256",
            "host all all 0.0.0.0/0 scram-sha-256");
    assertThat(pg.bootstrap().postBootstrap()).isEqualTo("/usr/local/bin/post_bootstrap.sh");
    assertThat(pg.bootstrap().method()).isNull();
  }

  @Test
  void bootstrapDcsIsCompactJsonWithNumbersAsNumbersAndLegacyKeysRenamed() {
    AgentConfig c = loadPatroni302(Map.of()).config();

    assertThat(c.bootstrapDcs().get("ttl").isInt()).isTrue();
    assertThat(c.bootstrapDcs().get("ttl").intValue()).isEqualTo(30);
    assertThat(c.bootstrapDcs().get("maximum_lag_on_failover").asLong()).isEqualTo(1048576L);
    assertThat(c.bootstrapDcs().has("master_start_timeout")).isFalse();
    assertThat(c.bootstrapDcs().get("primary_start_timeout").intValue()).isEqualTo(300);
    assertThat(c.bootstrapDcs().at("/postgresql/use_pg_rewind").booleanValue()).isTrue();
    assertThat(c.bootstrapDcs().at("/postgresql/parameters/max_connections").isNumber()).isTrue();
    assertThat(c.bootstrapDcs().toString())
        .startsWith("{\"ttl\":30,\"loop_wait\":10,\"retry_timeout\":10,");
  }

  @Test
  void tagsAreTypedAndKeptAsWritten() {
    Tags tags = loadPatroni302(Map.of()).config().tags();

    assertThat(tags.nofailover()).isFalse();
    assertThat(tags.failoverPriority()).isEqualTo(1);
    assertThat(tags.noloadbalance()).isFalse();
    assertThat(tags.clonefrom()).isTrue();
    assertThat(tags.nosync()).isFalse();
    assertThat(tags.replicatefrom()).isNull();
    assertThat(tags.all()).containsEntry("datacenter", "east").containsEntry("clonefrom", true);
  }

  @Test
  void publishedTagsLeaveOutFlagsThatAreNotSet() {
    // Patroni's sample configuration writes its flags as false; members publish only custom tags
    // and the flags that are set (a client compares the tags of /patroni as a whole).
    Path file =
        ConfigFixtures.write(
            dir,
            "tags.yml",
            ConfigFixtures.MINIMAL
                + "tags:\n  noloadbalance: false\n  clonefrom: false\n  nostream: false\n"
                + "  nosync: true\n  new_tag: new_value\n");
    Tags tags = new AgentConfigLoader(Map.of()).load(file).config().tags();

    assertThat(tags.published())
        .containsExactlyInAnyOrderEntriesOf(Map.of("nosync", true, "new_tag", "new_value"));

    Path priority =
        ConfigFixtures.write(
            dir,
            "priority.yml",
            ConfigFixtures.MINIMAL + "tags:\n  nofailover: false\n  failover_priority: 2\n");
    // Beside a priority, nofailover stays: a reader needs both to see a contradiction.
    assertThat(new AgentConfigLoader(Map.of()).load(priority).config().tags().published())
        .containsExactlyInAnyOrderEntriesOf(Map.of("nofailover", false, "failover_priority", 2));
    // In the file's order: tools compare the member key's tags as text.
    Path ordered =
        ConfigFixtures.write(
            dir,
            "ordered.yml",
            ConfigFixtures.MINIMAL
                + "tags:\n  failover_priority: '0'\n  nofailover: false\n  zone: a\n  az: b\n");
    assertThat(new AgentConfigLoader(Map.of()).load(ordered).config().tags().published().keySet())
        .containsExactly("failover_priority", "nofailover", "zone", "az");
  }

  @Test
  void theBooleanTagWinsOverItsPriorityWithPatronisWarning() {
    Path file =
        ConfigFixtures.write(
            dir,
            "conflict.yml",
            ConfigFixtures.MINIMAL
                + "tags:\n  nofailover: false\n  failover_priority: '0'\n"
                + "  nosync: true\n  sync_priority: '2'\n");
    LoadedConfig loaded = new AgentConfigLoader(Map.of()).load(file);

    // nofailover: false, written, lets the member promote whatever its priority says.
    assertThat(loaded.config().tags().nofailover()).isFalse();
    assertThat(loaded.config().tags().failoverPriority()).isZero();
    assertThat(loaded.config().tags().nosync()).isTrue();
    assertThat(loaded.warnings())
        .extracting(ConfigProblem::toString)
        .anyMatch(
            w ->
                w.contains(
                    "Conflicting configuration between nofailover: False and failover_priority: 0."
                        + " Defaulting to nofailover: False"))
        .anyMatch(
            w ->
                w.contains(
                    "Conflicting configuration between nosync: True and sync_priority: 2."
                        + " Defaulting to nosync: True"));

    Path priorityOnly =
        ConfigFixtures.write(
            dir, "zero.yml", ConfigFixtures.MINIMAL + "tags:\n  failover_priority: 0\n");
    // Without nofailover, priority 0 means never.
    assertThat(new AgentConfigLoader(Map.of()).load(priorityOnly).config().tags().nofailover())
        .isTrue();
  }

  @Test
  void nofailoverMeansPriorityZero() {
    Path file =
        ConfigFixtures.write(
            dir,
            "p.yml",
            ConfigFixtures.MINIMAL
                + "tags:\n  nofailover: true\n  replicatefrom: pg2\n"
                + "regent:\n  postgres_user: pgsql\n  connect_timeout: 3\n  query_timeout: 2\n");
    AgentConfig c = new AgentConfigLoader(Map.of()).load(file).config();

    assertThat(c.tags().nofailover()).isTrue();
    assertThat(c.tags().failoverPriority()).isZero();
    assertThat(c.tags().replicatefrom()).isEqualTo("pg2");
    assertThat(c.postgresql().postgresUser()).isEqualTo("pgsql");
    assertThat(c.postgresql().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.postgresql().queryTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.bootstrapDcs()).isEmpty();
    assertThat(c.postgresql().rewind()).isNull();
  }

  @Test
  void environmentOverridesTheFile() {
    AgentConfig c =
        loadPatroni302(
                Map.of(
                    "PATRONI_NAME", "pg7",
                    "PATRONI_SUPERUSER_PASSWORD", "from-env",
                    "PATRONI_ETCD3_HOSTS", "'10.1.0.1:2379','10.1.0.2:2379'",
                    "PATRONI_POSTGRESQL_BIN_PG_CTL", "pg_ctl15",
                    "PATRONI_RESTAPI_LISTEN", "10.0.0.11:8009",
                    "PATRONI_POSTGRESQL_DATA_DIR", "/srv/pg",
                    "HOME", "/root"))
            .config();

    assertThat(c.name()).isEqualTo("pg7");
    assertThat(c.postgresql().name()).isEqualTo("pg7");
    assertThat(c.postgresql().superuser()).isEqualTo(Credentials.of("postgres", "from-env"));
    assertThat(c.postgresql().binName()).containsEntry("pg_ctl", "pg_ctl15");
    assertThat(c.postgresql().dataDir()).isEqualTo(Path.of("/srv/pg"));
    assertThat(c.restapi().listenHost()).isEqualTo("10.0.0.11");
    assertThat(c.restapi().listenPort()).isEqualTo(8009);
    assertThat(c.properties())
        .containsEntry("etcd3.hosts[0]", "10.1.0.1:2379")
        .containsEntry("etcd3.hosts[1]", "10.1.0.2:2379")
        .doesNotContainKey("etcd3.hosts[2]")
        .containsEntry("name", "pg7");
  }

  @Test
  void withoutPathTheWholeConfigurationComesFromPatroniConfigurationAndOtherVariablesAreIgnored() {
    AgentConfig c =
        new AgentConfigLoader(
                Map.of("PATRONI_CONFIGURATION", ConfigFixtures.MINIMAL, "PATRONI_NAME", "ignored"))
            .load(null)
            .config();

    assertThat(c.name()).isEqualTo("pg1");
    assertThat(c.scope()).isEqualTo("batman");
  }

  @Test
  void withoutPathOrPatroniConfigurationTheEnvironmentAloneIsTheConfiguration() {
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("PATRONI_SCOPE", "batman"),
            Map.entry("PATRONI_NAME", "pg2"),
            Map.entry("PATRONI_RESTAPI_LISTEN", "0.0.0.0:8008"),
            Map.entry("PATRONI_RESTAPI_CONNECT_ADDRESS", "10.0.0.12:8008"),
            Map.entry("PATRONI_RESTAPI_USERNAME", "patroni"),
            Map.entry("PATRONI_RESTAPI_PASSWORD", "rest-pass"),
            Map.entry("PATRONI_ETCD3_HOSTS", "10.0.0.1:2379,10.0.0.2:2379"),
            Map.entry("PATRONI_ETCD3_PROTOCOL", "https"),
            Map.entry("PATRONI_POSTGRESQL_LISTEN", "*:5432"),
            Map.entry("PATRONI_POSTGRESQL_CONNECT_ADDRESS", "10.0.0.12:5432"),
            Map.entry("PATRONI_POSTGRESQL_DATA_DIR", "/data/pg2"),
            Map.entry("PATRONI_POSTGRESQL_PGPASS", "/tmp/pgpass2"),
            Map.entry("PATRONI_SUPERUSER_USERNAME", "postgres"),
            Map.entry("PATRONI_SUPERUSER_PASSWORD", "su"),
            Map.entry("PATRONI_SUPERUSER_SSLMODE", "require"),
            Map.entry("PATRONI_REPLICATION_USERNAME", "replicator"),
            Map.entry("PATRONI_REPLICATION_PASSWORD", "rp"),
            Map.entry("PATRONI_REWIND_USERNAME", "rewinder"),
            Map.entry("PATRONI_REWIND_PASSWORD", "rw"));
    LoadedConfig loaded = new AgentConfigLoader(env).load(null);

    assertThat(loaded.problems()).isEmpty();
    AgentConfig c = loaded.config();
    assertThat(c.restapi().username()).isEqualTo("patroni");
    assertThat(c.restapi().password()).isEqualTo("rest-pass");
    assertThat(c.postgresql().superuser()).isEqualTo(new Credentials("postgres", "su", "require"));
    assertThat(c.postgresql().rewind()).isEqualTo(Credentials.of("rewinder", "rw"));
    assertThat(c.postgresql().pgpass()).isEqualTo(Path.of("/tmp/pgpass2"));
    assertThat(c.postgresql().listenAddresses()).isEqualTo("*");
    assertThat(c.properties())
        .containsEntry("etcd3.hosts[0]", "10.0.0.1:2379")
        .containsEntry("etcd3.hosts[1]", "10.0.0.2:2379")
        .containsEntry("etcd3.protocol", "https");
  }

  @Test
  void directoryIsMergedInAlphabeticalOrderLaterFilesWinAndMapsMergeKeyByKey() {
    ConfigFixtures.write(dir, "10-base.yml", ConfigFixtures.MINIMAL);
    ConfigFixtures.write(
        dir,
        "20-local.yaml",
        """
        name: pg2
        postgresql:
          data_dir: /data/pg2
          parameters:
            work_mem: 8MB
        """);
    ConfigFixtures.write(
        dir,
        "30-more.yml",
        """
        postgresql:
          parameters:
            shared_buffers: 1GB
        tags:
          nosync: true
        """);
    ConfigFixtures.write(dir, "notes.txt", "name: ignored");
    ConfigFixtures.write(dir, "00-first.yml", "name: overwritten\nscope: overwritten\n");

    AgentConfig c = new AgentConfigLoader(Map.of()).load(dir).config();

    assertThat(c.name()).isEqualTo("pg2");
    assertThat(c.scope()).isEqualTo("batman");
    assertThat(c.postgresql().dataDir()).isEqualTo(Path.of("/data/pg2"));
    assertThat(c.postgresql().listen()).isEqualTo("127.0.0.1:5432");
    assertThat(c.postgresql().superuser().username()).isEqualTo("postgres");
    assertThat(c.postgresql().parameters())
        .containsEntry("work_mem", "8MB")
        .containsEntry("shared_buffers", "1GB");
    assertThat(c.tags().nosync()).isTrue();
  }

  @Test
  void aNullInALaterFileRemovesTheKey() {
    ConfigFixtures.write(dir, "a.yml", ConfigFixtures.MINIMAL + "tags:\n  nofailover: true\n");
    ConfigFixtures.write(dir, "b.yml", "tags:\n  nofailover:\n");

    assertThat(new AgentConfigLoader(Map.of()).load(dir).config().tags().nofailover()).isFalse();
  }

  @Test
  void unreadableSourcesAreErrorsNamingThem() {
    Path missing = dir.resolve("missing.yml");
    assertThat(new AgentConfigLoader(Map.of()).read(missing).errors())
        .singleElement()
        .hasToString(missing + ": no such file or directory");

    Path empty = dir.resolve("empty");
    empty.toFile().mkdir();
    assertThat(new AgentConfigLoader(Map.of()).read(empty).errors())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("no *.yml"));

    Path broken = ConfigFixtures.write(dir, "broken.yml", "scope: [unclosed\nname: x\n");
    assertThat(new AgentConfigLoader(Map.of()).read(broken).errors())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo(broken.toString());
              assertThat(p.message()).startsWith("not valid YAML at line");
            });

    Path list = ConfigFixtures.write(dir, "list.yml", "- a\n- b\n");
    assertThat(new AgentConfigLoader(Map.of()).read(list).errors())
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("top level"));

    assertThatThrownBy(
            () -> new AgentConfigLoader(Map.of("PATRONI_CONFIGURATION", "a: [")).load(null))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("PATRONI_CONFIGURATION: not valid YAML");
  }

  @Test
  void oldPostgresqlLayoutWithoutAuthenticationIsAcceptedWithDeprecationWarnings() {
    String old =
        ConfigFixtures.MINIMAL.replace(
            ConfigFixtures.AUTHENTICATION,
            """
              replication:
                username: replicator
                password: repl-pass
              pg_rewind:
                username: rewinder
                password: rw-pass
            """);
    LoadedConfig loaded =
        new AgentConfigLoader(Map.of()).load(ConfigFixtures.write(dir, "old.yml", old));

    assertThat(loaded.warnings())
        .extracting(ConfigProblem::key)
        .containsExactly(
            "postgresql.replication", "postgresql.pg_rewind", "postgresql.authentication.rewind");
    assertThat(loaded.warnings().subList(0, 2))
        .allSatisfy(p -> assertThat(p.message()).startsWith("deprecated"));
    PostgresSettings pg = loaded.config().postgresql();
    assertThat(pg.replication()).isEqualTo(Credentials.of("replicator", "repl-pass"));
    assertThat(pg.superuser()).isEqualTo(Credentials.of("rewinder", "rw-pass"));
    assertThat(pg.usePgRewind()).isTrue();
  }

  @Test
  void passwordsNeverAppearInToStringOrMessages() {
    LoadedConfig loaded = loadPatroni302(Map.of("PATRONI_ETCD3_PASSWORD", "etcd-pass"));
    String text = loaded.config().toString() + loaded.problems();

    for (String secret :
        List.of(
            "s3cr3t-rest", "super-pass", "repl-pass", "rewind-pass", "admin-pass", "etcd-pass")) {
      assertThat(text).doesNotContain(secret);
    }
    assertThat(loaded.config().properties())
        .containsEntry("etcd3.password", "etcd-pass"); // the starters need it

    Path file =
        ConfigFixtures.write(
            dir,
            "bad.yml",
            ConfigFixtures.MINIMAL.replace("password: super-pass", "password: [not-a-string]")
                + "consul:\n  token: {t: tok-secret}\n");
    ConfigException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ConfigException.class, () -> new AgentConfigLoader(Map.of()).load(file));
    assertThat(e.getMessage())
        .contains("postgresql.authentication.superuser.password: expected a string, not a list")
        .doesNotContain("not-a-string")
        .doesNotContain("tok-secret");
  }

  @Test
  void flattenedPropertiesUseSpringNames() {
    Map<String, Object> p = loadPatroni302(Map.of()).config().properties();

    assertThat(p)
        .containsEntry("scope", "batman")
        .containsEntry("etcd3.hosts[0]", "10.0.0.1:2379")
        .containsEntry("etcd3.hosts[2]", "10.0.0.3:2379")
        .containsEntry("bootstrap.dcs.ttl", 30)
        .containsEntry("bootstrap.initdb[0].encoding", "UTF8")
        .containsEntry("bootstrap.initdb[2]", "data-checksums")
        .containsEntry("postgresql.parameters[auto_explain.log_min_duration]", "5s")
        .containsEntry("tags.clonefrom", true)
        .containsEntry("log.level", "INFO");
  }

  @Test
  void tlsAndUnixSocketSettingsOfPatronisAcceptanceSuiteAreUsedWithoutWarnings() {
    String tls =
        """
              sslmode: verify-ca
              sslrootcert: /certs/patroni.crt
              sslcert: /certs/patroni.crt
              sslkey: /certs/patroni.key
              sslpassword: key-pass
              sslcrl: /certs/crl.pem
              gssencmode: disable
              channel_binding: prefer
        """;
    Path file =
        ConfigFixtures.write(
            dir,
            "patroni.yml",
            ConfigFixtures.MINIMAL.replace(
                    "    password: super-pass\n", "    password: super-pass\n" + tls)
                + """
                  use_unix_socket: true
                  use_unix_socket_repl: true
                  parameters:
                    unix_socket_directories: '@abstract, /run/pg'
                """);

    LoadedConfig loaded = new AgentConfigLoader(Map.of()).load(file);

    assertThat(loaded.problems()).isEmpty();
    PostgresSettings pg = loaded.config().postgresql();
    assertThat(pg.superuser().parameters())
        .containsExactly(
            Map.entry("sslmode", "verify-ca"),
            Map.entry("sslkey", "/certs/patroni.key"),
            Map.entry("sslpassword", "key-pass"),
            Map.entry("sslcert", "/certs/patroni.crt"),
            Map.entry("sslrootcert", "/certs/patroni.crt"),
            Map.entry("sslcrl", "/certs/crl.pem"),
            Map.entry("gssencmode", "disable"),
            Map.entry("channel_binding", "prefer"));
    assertThat(pg.superuser().toString()).doesNotContain("key-pass").doesNotContain("super-pass");
    assertThat(pg.replication().parameters()).isEmpty();
    assertThat(pg.useUnixSocket()).isTrue();
    assertThat(pg.useUnixSocketRepl()).isTrue();
    // The first absolute directory: an abstract socket cannot be connected to by path.
    assertThat(pg.localSocketDirectory()).contains(Path.of("/run/pg"));
  }
}
