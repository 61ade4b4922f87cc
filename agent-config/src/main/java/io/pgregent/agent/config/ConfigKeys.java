package io.pgregent.agent.config;

import io.pgregent.core.dcs.Timings;
import io.pgregent.postgres.config.Credentials;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The table of configuration keys Regent knows: Patroni's local sections, the dynamic keys of
 * {@code bootstrap.dcs}, and the Regent-only {@code regent:} section. A {@code *} segment matches
 * any one key. A key not in this table is unknown (a warning).
 */
final class ConfigKeys {

  /** The shape a value must have. */
  enum Kind {
    /** Any scalar, read as a string. */
    STRING,
    /** A whole number within [min, max]. */
    INT,
    /** A boolean (also {@code "true"}, {@code "on"}, {@code "yes"}… as strings). */
    BOOL,
    /** {@code host:port}, the host neither empty nor a wildcard. */
    CONNECT_ADDRESS,
    /** {@code host[,host…]:port}, the host may be a wildcard or empty. */
    LISTEN,
    /** A list of scalars. */
    STRING_LIST,
    /** A list of scalars, or one comma-separated string. */
    HOSTS,
    /** A list of strings and single-entry maps ({@code initdb}, {@code basebackup}). */
    OPTIONS,
    /** Like {@link #OPTIONS}, or a map of options. */
    OPTIONS_OR_MAP,
    /** A map with any content, not checked further. */
    MAP,
    /** A map whose keys are in this table. */
    SECTION,
    /** Anything. */
    ANY,
    /** A whole number or a string (e.g. {@code member_slots_ttl: 30min}). */
    INT_OR_STRING,
    /** One of the listed values ({@link Spec#values}), compared case-insensitively. */
    ENUM,
    /** {@code synchronous_mode}: a boolean or {@code on}, {@code off}, {@code quorum}. */
    SYNC_MODE,
    /**
     * {@code watchdog.mode}, {@code regent.fence.mode}: {@code off}, {@code automatic}, {@code
     * required} ({@link GuardMode#parse}).
     */
    GUARD_MODE
  }

  /** Whether Regent acts on a key. */
  enum Status {
    SUPPORTED,
    /** A Patroni key Regent does not act on yet: a warning, the value is ignored. */
    UNSUPPORTED,
    /** An old Patroni key: accepted with a deprecation warning. */
    DEPRECATED,
    /** A dynamic key written at the top level: a warning, it belongs in {@code bootstrap.dcs}. */
    DYNAMIC_AT_ROOT
  }

  /**
   * @param kind the value's shape
   * @param min the least value of an {@link Kind#INT}
   * @param max the greatest value of an {@link Kind#INT}
   * @param status whether Regent acts on it
   * @param note appended to the warning of an unsupported or deprecated key
   * @param values the allowed values of an {@link Kind#ENUM}
   */
  record Spec(Kind kind, long min, long max, Status status, String note, List<String> values) {

    Spec unsupported(String why) {
      return new Spec(kind, min, max, Status.UNSUPPORTED, why, values);
    }

    Spec deprecated(String why) {
      return new Spec(kind, min, max, Status.DEPRECATED, why, values);
    }
  }

  /** The store sections Regent can use. */
  static final List<String> SUPPORTED_STORES = List.of("etcd3", "zookeeper", "consul");

  /** The programs {@code postgresql.bin_name} can rename. */
  static final List<String> BIN_NAMES =
      List.of(
          "pg_ctl",
          "initdb",
          "pg_controldata",
          "pg_basebackup",
          "postgres",
          "pg_isready",
          "pg_rewind");

  private static final Map<String, Spec> TABLE = new LinkedHashMap<>();

  static {
    // Identity.
    put("scope", str());
    put("name", str());
    put("namespace", str());
    put("thread_pool_size", integer(1).unsupported(null));
    put("thread_stack_size", integer(0).unsupported(null));

    // regent: settings Patroni ignores.
    put("regent", section());
    put("regent.postgres_user", str());
    put("regent.connect_timeout", integer(1));
    put("regent.query_timeout", integer(1));
    put("regent.restapi", section());
    put("regent.restapi.switchover_timeout", integer(1));
    put("regent.fence", section());
    put("regent.fence.mode", spec(Kind.GUARD_MODE));
    put("regent.fence.dir", str());

    // log: Patroni's section (LogSettings reads it and checks format, mode and loggers).
    put("log", section());
    put("log.type", enumOf("plain", "json"));
    put("log.level", enumOf("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "FATAL", "CRITICAL"));
    put("log.traceback_level", enumOf("DEBUG", "ERROR"));
    // A string; with log.type json also a list of fields or field: key pairs.
    put("log.format", any());
    put("log.dateformat", str());
    put("log.static_fields", map());
    put("log.dir", str());
    put("log.mode", any());
    put("log.file_num", integer(0));
    put("log.file_size", integer(0));
    put("log.loggers", map());
    put(
        "log.max_queue_size",
        integer(1).unsupported("Regent writes each log line at once, without a queue"));
    put(
        "log.deduplicate_heartbeat_logs",
        bool().unsupported("Regent logs an HA decision when it changes, not every cycle"));

    // restapi:
    put("restapi", section());
    put("restapi.listen", spec(Kind.LISTEN));
    put("restapi.connect_address", spec(Kind.CONNECT_ADDRESS));
    put("restapi.authentication", section());
    put("restapi.authentication.username", str());
    put("restapi.authentication.password", str());
    for (String k : List.of("certfile", "keyfile", "keyfile_password", "cafile")) {
      put("restapi." + k, str());
    }
    put("restapi.ciphers", str());
    put("restapi.verify_client", enumOf("none", "optional", "required"));
    put("restapi.allowlist", any());
    put("restapi.allowlist_include_members", bool());
    put("restapi.http_extra_headers", map());
    put("restapi.https_extra_headers", map());
    put("restapi.request_queue_size", integer(0).unsupported(null));
    put("restapi.thread_pool_size", integer(1).unsupported(null));
    put("restapi.server_tokens", enumOf("Original", "Minimal", "ProductOnly"));

    // ctl: how regentctl calls the members' REST API.
    put("ctl", section());
    put("ctl.authentication", section());
    put("ctl.authentication.username", str());
    put("ctl.authentication.password", str());
    put("ctl.insecure", bool());
    for (String k : List.of("cacert", "certfile", "keyfile", "keyfile_password")) {
      put("ctl." + k, str());
    }

    // bootstrap:
    put("bootstrap", section());
    put("bootstrap.dcs", section());
    put("bootstrap.initdb", spec(Kind.OPTIONS));
    put("bootstrap.pg_hba", stringList());
    put("bootstrap.post_bootstrap", str());
    put("bootstrap.post_init", str());
    put("bootstrap.method", str());
    put(
        "bootstrap.users",
        map()
            .deprecated(
                "removed in Patroni 4.0 and ignored: create users in bootstrap.post_bootstrap"));

    // bootstrap.dcs: the dynamic configuration (spec 1.4).
    dynamic("ttl", integer(Timings.MIN_TTL));
    dynamic("loop_wait", integer(Timings.MIN_LOOP_WAIT));
    dynamic("retry_timeout", integer(Timings.MIN_RETRY_TIMEOUT));
    dynamic("maximum_lag_on_failover", integer(0));
    dynamic("maximum_lag_on_syncnode", integer(-1));
    dynamic("max_timelines_history", integer(0));
    dynamic("primary_start_timeout", integer(0));
    dynamic(
        "master_start_timeout",
        integer(0).deprecated("renamed primary_start_timeout; the value is used as that"));
    dynamic("primary_stop_timeout", integer(0));
    dynamic(
        "master_stop_timeout",
        integer(0).deprecated("renamed primary_stop_timeout; the value is used as that"));
    dynamic("primary_race_backoff", integer(0));
    dynamic("synchronous_mode", spec(Kind.SYNC_MODE));
    dynamic("synchronous_mode_strict", bool());
    dynamic("synchronous_node_count", integer(1));
    dynamic("failsafe_mode", bool());
    dynamic("check_timeline", bool());
    dynamic("pause", bool());
    dynamic("member_slots_ttl", spec(Kind.INT_OR_STRING));
    dynamic("slots", map());
    dynamic("permanent_slots", map());
    dynamic("permanent_replication_slots", map());
    dynamic("ignore_slots", spec(Kind.ANY));
    dynamic("standby_cluster", section());
    dynamic("standby_cluster.host", str());
    dynamic("standby_cluster.port", integer(1, 65535));
    dynamic("standby_cluster.primary_slot_name", str());
    dynamic("standby_cluster.create_replica_methods", stringList());
    dynamic("standby_cluster.restore_command", str());
    dynamic("standby_cluster.archive_cleanup_command", str());
    dynamic("standby_cluster.recovery_min_apply_delay", spec(Kind.INT_OR_STRING));
    put("bootstrap.dcs.postgresql", section());
    put("bootstrap.dcs.postgresql.use_pg_rewind", bool());
    put("bootstrap.dcs.postgresql.use_slots", bool());
    put("bootstrap.dcs.postgresql.recovery_conf", map());
    put("bootstrap.dcs.postgresql.parameters", map());
    put("bootstrap.dcs.postgresql.parameters_primary", map());
    put("bootstrap.dcs.postgresql.parameters_replica", map());
    put("bootstrap.dcs.postgresql.parameters_standby_leader", map());
    put("bootstrap.dcs.postgresql.pg_hba", stringList());
    put("bootstrap.dcs.postgresql.pg_ident", stringList());

    // postgresql:
    put("postgresql", section());
    put("postgresql.listen", spec(Kind.LISTEN));
    put("postgresql.connect_address", spec(Kind.CONNECT_ADDRESS));
    put("postgresql.proxy_address", str().unsupported(null));
    put("postgresql.data_dir", str());
    put("postgresql.config_dir", str());
    put("postgresql.bin_dir", str());
    put("postgresql.bin_name", section());
    for (String b : BIN_NAMES) {
      put("postgresql.bin_name." + b, str());
    }
    put("postgresql.pgpass", str());
    put("postgresql.custom_conf", str());
    put("postgresql.authentication", section());
    for (String user : List.of("superuser", "replication", "rewind")) {
      String p = "postgresql.authentication." + user;
      put(p, section());
      put(p + ".username", str());
      put(p + ".password", str());
      for (String k : Credentials.PARAMETERS) {
        put(p + "." + k, str());
      }
      // PostgreSQL 17's libpq parameter: PostgreSQL 15's libpq refuses it in a connection string
      put(p + ".sslnegotiation", str().unsupported(null));
    }
    put("postgresql.callbacks", section());
    for (String c : List.of("on_start", "on_stop", "on_restart", "on_reload", "on_role_change")) {
      put("postgresql.callbacks." + c, str());
    }
    put("postgresql.pre_promote", str());
    put("postgresql.before_stop", str());
    put("postgresql.create_replica_methods", stringList());
    put("postgresql.basebackup", spec(Kind.OPTIONS_OR_MAP));
    put("postgresql.use_unix_socket", bool());
    put("postgresql.use_unix_socket_repl", bool());
    put("postgresql.parameters", map());
    put("postgresql.pg_hba", stringList());
    put("postgresql.pg_ident", stringList());
    // PostgreSQL parameters, not keys of this section (Patroni reads them from parameters only)
    put("postgresql.hba_file", str().unsupported("set postgresql.parameters.hba_file"));
    put("postgresql.ident_file", str().unsupported("set postgresql.parameters.ident_file"));
    put("postgresql.pg_ctl_timeout", integer(1));
    put("postgresql.use_pg_rewind", bool());
    put("postgresql.use_slots", bool().unsupported("set it in bootstrap.dcs.postgresql"));
    put("postgresql.rewind", any().unsupported(null));
    put("postgresql.recovery_conf", map().unsupported(null));
    put("postgresql.remove_data_directory_on_rewind_failure", bool());
    put("postgresql.remove_data_directory_on_diverged_timelines", bool());

    // watchdog:
    put("watchdog", section());
    put("watchdog.mode", spec(Kind.GUARD_MODE));
    put("watchdog.device", str());
    put("watchdog.safety_margin", integer(-1));
    put("watchdog.driver", enumOf("default", "linux", "testing"));

    // tags: custom tags are allowed; the known ones are typed.
    put("tags", section());
    put("tags.*", spec(Kind.ANY));
    put("tags.nofailover", bool());
    put("tags.failover_priority", integer(0));
    put("tags.nosync", bool());
    put("tags.sync_priority", integer(0));
    put("tags.noloadbalance", bool());
    put("tags.clonefrom", bool());
    put("tags.replicatefrom", str());
    put("tags.nostream", bool());

    // Stores.
    put("etcd3", section());
    put("etcd3.host", str());
    put("etcd3.hosts", spec(Kind.HOSTS));
    put("etcd3.url", str());
    put("etcd3.protocol", enumOf("http", "https"));
    put("etcd3.username", str());
    put("etcd3.password", str());
    put("etcd3.cacert", str());
    put("etcd3.cert", str());
    put("etcd3.key", str());
    put("etcd3.use_proxies", bool().unsupported(null));
    put("etcd3.proxy", str().unsupported(null));
    put("etcd3.srv", str().unsupported("list the endpoints in etcd3.hosts"));
    put("etcd3.srv_suffix", str().unsupported(null));
    put("etcd3.retry_timeout", integer(1).unsupported(null));

    put("zookeeper", section());
    put("zookeeper.hosts", spec(Kind.HOSTS));
    put("zookeeper.use_ssl", bool());
    put("zookeeper.cacert", str());
    put("zookeeper.cert", str());
    put("zookeeper.key", str());
    put("zookeeper.key_password", str());
    put("zookeeper.verify", bool());
    put("zookeeper.set_acls", map());
    put("zookeeper.auth_data", map());
    put(
        "zookeeper.retry_timeout",
        integer(1)
            .unsupported(
                "the cluster-wide retry_timeout governs (bootstrap.dcs, then the store's config),"
                    + " as in Patroni"));

    put("consul", section());
    put("consul.host", str());
    put("consul.url", str());
    put("consul.port", integer(1, 65535));
    put("consul.scheme", enumOf("http", "https"));
    put("consul.token", str());
    put("consul.verify", bool());
    put("consul.cacert", str());
    put("consul.cert", str());
    put("consul.key", str());
    put("consul.dc", str());
    put("consul.consistency", enumOf("default", "consistent", "stale"));
    put("consul.checks", stringList());
    put("consul.register_service", bool());
    put("consul.service_tags", stringList());
    put("consul.service_check_interval", str());
    put("consul.service_check_tls_server_name", str());

    String noStore = "Regent's stores are " + String.join(", ", SUPPORTED_STORES);
    put("etcd", any().unsupported("the etcd v2 API is not supported; use etcd3: " + noStore));
    put("exhibitor", any().unsupported(noStore));
    put("kubernetes", any().unsupported(noStore));
    put("raft", any().unsupported(noStore));
    put("citus", any().unsupported(null));
  }

  /** Dynamic keys: in {@code bootstrap.dcs}; at the top level a warning. */
  private static void dynamic(String key, Spec spec) {
    put("bootstrap.dcs." + key, spec);
    put(
        key,
        new Spec(
            spec.kind(),
            spec.min(),
            spec.max(),
            Status.DYNAMIC_AT_ROOT,
            "a dynamic setting: put it in bootstrap.dcs (or change it in the store with"
                + " 'patronictl edit-config'); ignored here",
            spec.values()));
  }

  private ConfigKeys() {}

  /** The spec of a key, or null when the key is unknown. */
  static Spec lookup(String key) {
    Spec exact = TABLE.get(key);
    if (exact != null) {
      return exact;
    }
    String[] parts = key.split("\\.", -1);
    for (Map.Entry<String, Spec> e : TABLE.entrySet()) {
      if (e.getKey().contains("*") && matches(e.getKey().split("\\.", -1), parts)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** Every key in the table, for documentation and tests. */
  static Map<String, Spec> all() {
    return Collections.unmodifiableMap(TABLE);
  }

  private static boolean matches(String[] pattern, String[] parts) {
    if (pattern.length != parts.length) {
      return false;
    }
    for (int i = 0; i < pattern.length; i++) {
      if (!pattern[i].equals("*") && !pattern[i].equals(parts[i])) {
        return false;
      }
    }
    return true;
  }

  private static void put(String key, Spec spec) {
    TABLE.put(key, spec);
  }

  private static Spec spec(Kind kind) {
    return new Spec(kind, Long.MIN_VALUE, Long.MAX_VALUE, Status.SUPPORTED, null, List.of());
  }

  private static Spec str() {
    return spec(Kind.STRING);
  }

  private static Spec bool() {
    return spec(Kind.BOOL);
  }

  private static Spec map() {
    return spec(Kind.MAP);
  }

  private static Spec any() {
    return spec(Kind.ANY);
  }

  private static Spec section() {
    return spec(Kind.SECTION);
  }

  private static Spec stringList() {
    return spec(Kind.STRING_LIST);
  }

  private static Spec integer(long min) {
    return integer(min, Long.MAX_VALUE);
  }

  private static Spec integer(long min, long max) {
    return new Spec(Kind.INT, min, max, Status.SUPPORTED, null, List.of());
  }

  private static Spec enumOf(String... values) {
    return new Spec(
        Kind.ENUM, Long.MIN_VALUE, Long.MAX_VALUE, Status.SUPPORTED, null, List.of(values));
  }
}
