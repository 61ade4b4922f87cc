package io.pgregent.agent.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Patroni's table of {@code PATRONI_*} environment variables (Patroni's {@code
 * Config._build_environment_configuration}), turned into a configuration tree that is merged over
 * the file. It is a table, not a mechanical mapping: {@code PATRONI_SUPERUSER_PASSWORD} is {@code
 * postgresql.authentication.superuser.password}. Empty values are ignored, as in Patroni.
 */
final class PatroniEnvironment {

  static final String PREFIX = "PATRONI_";

  /** The whole configuration as YAML in one variable. */
  static final String CONFIGURATION = "PATRONI_CONFIGURATION";

  private static final List<String> RESTAPI =
      List.of(
          "listen",
          "connect_address",
          "certfile",
          "keyfile",
          "keyfile_password",
          "cafile",
          "ciphers",
          "verify_client",
          "http_extra_headers",
          "https_extra_headers",
          "allowlist",
          "allowlist_include_members",
          "request_queue_size");
  private static final List<String> CTL =
      List.of("insecure", "cacert", "certfile", "keyfile", "keyfile_password");
  private static final List<String> POSTGRESQL =
      List.of(
          "listen",
          "connect_address",
          "proxy_address",
          "config_dir",
          "data_dir",
          "pgpass",
          "bin_dir");
  private static final List<String> LOG =
      List.of(
          "type",
          "level",
          "traceback_level",
          "format",
          "dateformat",
          "static_fields",
          "max_queue_size",
          "dir",
          "mode",
          "file_size",
          "file_num",
          "loggers");
  private static final List<String> RAFT =
      List.of("data_dir", "self_addr", "partner_addrs", "password", "bind_addr");
  private static final List<String> CITUS = List.of("database", "group");
  private static final List<String> AUTH =
      List.of(
          "username",
          "password",
          "sslmode",
          "sslcert",
          "sslkey",
          "sslpassword",
          "sslrootcert",
          "sslcrl",
          "sslcrldir",
          "gssencmode",
          "channel_binding",
          "sslnegotiation");

  /** Store and other section keys: {@code PATRONI_<SECTION>_<SUFFIX>} → {@code section.suffix}. */
  private static final Set<String> SECTION_SUFFIXES =
      Set.of(
          "HOST",
          "HOSTS",
          "PORT",
          "USE_PROXIES",
          "PROTOCOL",
          "SCHEME",
          "SRV",
          "SRV_SUFFIX",
          "URL",
          "PROXY",
          "CACERT",
          "CERT",
          "KEY",
          "VERIFY",
          "TOKEN",
          "CHECKS",
          "DC",
          "CONSISTENCY",
          "REGISTER_SERVICE",
          "SERVICE_CHECK_INTERVAL",
          "SERVICE_CHECK_TLS_SERVER_NAME",
          "SERVICE_TAGS",
          "NAMESPACE",
          "CONTEXT",
          "USE_ENDPOINTS",
          "SCOPE_LABEL",
          "ROLE_LABEL",
          "POD_IP",
          "PORTS",
          "LABELS",
          "BYPASS_API_SERVICE",
          "RETRIABLE_HTTP_CODES",
          "KEY_PASSWORD",
          "USE_SSL",
          "SET_ACLS",
          "GROUP",
          "DATABASE",
          "LEADER_LABEL_VALUE",
          "FOLLOWER_LABEL_VALUE",
          "STANDBY_LEADER_LABEL_VALUE",
          "TMP_ROLE_LABEL",
          "AUTH_DATA");

  private static final Set<String> LIST_SUFFIXES =
      Set.of("HOSTS", "PORTS", "CHECKS", "SERVICE_TAGS", "RETRIABLE_HTTP_CODES");
  private static final Set<String> DICT_SUFFIXES = Set.of("LABELS", "SET_ACLS", "AUTH_DATA");
  private static final Set<String> BOOL_SUFFIXES =
      Set.of("USE_PROXIES", "REGISTER_SERVICE", "USE_ENDPOINTS", "BYPASS_API_SERVICE", "VERIFY");

  private PatroniEnvironment() {}

  /**
   * The configuration tree the variables describe.
   *
   * @param environment the process environment (a parameter so tests need not touch the real one)
   * @param problems collects warnings about values that cannot be parsed
   * @param fileSections the top-level keys of the file the variables are merged over: {@code
   *     PATRONI_ETCD3_USERNAME}/{@code _PASSWORD} apply when the file or another variable has the
   *     section (Patroni requires another variable)
   */
  static Map<String, Object> read(
      Map<String, String> environment, List<ConfigProblem> problems, Set<String> fileSections) {
    // Work on a sorted copy: each variable is consumed once, like Patroni's os.environ.pop.
    Map<String, String> env = new TreeMap<>();
    environment.forEach(
        (k, v) -> {
          if (k.startsWith(PREFIX) && !k.equals(CONFIGURATION)) {
            env.put(k, v);
          }
        });
    Map<String, Object> ret = new LinkedHashMap<>();

    for (String param : List.of("name", "namespace", "scope")) {
      String v = pop(env, param);
      if (present(v)) {
        ret.put(param, v);
      }
    }
    // Old names of log settings.
    fixLogEnv(env, "level", "loglevel");
    fixLogEnv(env, "format", "logformat");
    fixLogEnv(env, "dateformat", "log_datefmt");

    setSectionValues(env, ret, "restapi", RESTAPI);
    setSectionValues(env, ret, "ctl", CTL);
    setSectionValues(env, ret, "postgresql", POSTGRESQL);
    setSectionValues(env, ret, "log", LOG);
    setSectionValues(env, ret, "raft", RAFT);
    setSectionValues(env, ret, "citus", CITUS);
    // Patroni also reads these two top-level settings from the environment.
    for (String param : List.of("thread_pool_size", "thread_stack_size")) {
      String v = pop(env, param);
      if (present(v)) {
        ret.put(param, parseInt(v));
      }
    }

    for (String binary : ConfigKeys.BIN_NAMES) {
      String v = pop(env, "postgresql_bin_" + binary);
      if (present(v)) {
        section(section(ret, "postgresql"), "bin_name").put(binary, v);
      }
    }

    convert(ret, "restapi", "allowlist_include_members", PatroniEnvironment::parseBool);
    convert(ret, "ctl", "insecure", PatroniEnvironment::parseBool);
    convert(ret, "restapi", "request_queue_size", PatroniEnvironment::parseInt);
    convert(ret, "citus", "group", PatroniEnvironment::parseInt);
    for (String k : List.of("max_queue_size", "file_size", "file_num", "mode")) {
      convert(ret, "log", k, PatroniEnvironment::parseInt);
    }
    convert(
        ret, "raft", "partner_addrs", v -> parseList(v, "PATRONI_RAFT_PARTNER_ADDRS", problems));
    convert(ret, "restapi", "allowlist", v -> parseList(v, "PATRONI_RESTAPI_ALLOWLIST", problems));
    for (String k : List.of("http_extra_headers", "https_extra_headers")) {
      convert(ret, "restapi", k, v -> parseDict(v, "PATRONI_RESTAPI_" + upper(k), problems));
    }
    for (String k : List.of("static_fields", "loggers")) {
      convert(ret, "log", k, v -> parseDict(v, "PATRONI_LOG_" + upper(k), problems));
    }
    // A format without %(field) is Patroni's list of JSON fields.
    convert(
        ret,
        "log",
        "format",
        v -> {
          if (v.matches("(?s).*%\\(\\w+\\).*")) {
            return v;
          }
          Object fields = parseList(v, "PATRONI_LOG_FORMAT", new ArrayList<>());
          return fields == null ? v : fields;
        });

    for (String s : List.of("ctl", "restapi")) {
      Map<String, Object> auth = auth(env, s, AUTH.subList(0, 2));
      if (!auth.isEmpty()) {
        section(ret, s).put("authentication", auth);
      }
    }
    Map<String, Object> authentication = new LinkedHashMap<>();
    for (String userType : List.of("replication", "superuser", "rewind")) {
      Map<String, Object> entry = auth(env, userType, AUTH);
      if (!entry.isEmpty()) {
        authentication.put(userType, entry);
      }
    }
    if (!authentication.isEmpty()) {
      section(ret, "postgresql").put("authentication", authentication);
    }

    // PATRONI_(ETCD3|CONSUL|ZOOKEEPER|…)_(HOSTS|PORT|…)
    for (String param : List.copyOf(env.keySet())) {
      String rest = param.substring(PREFIX.length());
      int sep = rest.indexOf('_');
      if (sep <= 0) {
        continue;
      }
      String name = rest.substring(0, sep);
      String suffix = rest.substring(sep + 1);
      if (!SECTION_SUFFIXES.contains(suffix)) {
        continue;
      }
      String raw = env.remove(param);
      if (!present(raw)) {
        continue;
      }
      Object value = raw;
      if (name.equals("CITUS")) {
        if (suffix.equals("GROUP")) {
          value = parseInt(raw);
        } else if (!suffix.equals("DATABASE")) {
          continue;
        }
      } else if (suffix.equals("PORT")) {
        value = parseInt(raw);
      } else if (LIST_SUFFIXES.contains(suffix)) {
        value = parseList(raw, param, problems);
      } else if (DICT_SUFFIXES.contains(suffix)) {
        value = parseDict(raw, param, problems);
      } else if (BOOL_SUFFIXES.contains(suffix)) {
        value = parseBool(raw);
      }
      if (value != null) {
        section(ret, name.toLowerCase(Locale.ROOT)).put(suffix.toLowerCase(Locale.ROOT), value);
      }
    }
    for (String dcs : List.of("etcd", "etcd3")) {
      if (ret.containsKey(dcs) || fileSections.contains(dcs)) {
        Map<String, Object> auth = auth(env, dcs, AUTH.subList(0, 2));
        if (!auth.isEmpty()) {
          section(ret, dcs).putAll(auth);
        }
      }
    }
    return ret;
  }

  private static void fixLogEnv(Map<String, String> env, String name, String oldName) {
    String value = pop(env, oldName);
    String key = PREFIX + "LOG_" + upper(name);
    if (present(value) && !env.containsKey(key)) {
      env.put(key, value);
    }
  }

  private static void setSectionValues(
      Map<String, String> env, Map<String, Object> ret, String section, List<String> params) {
    for (String param : params) {
      String v = pop(env, section + "_" + param);
      if (present(v)) {
        section(ret, section).put(param, v);
      }
    }
  }

  private static Map<String, Object> auth(
      Map<String, String> env, String name, List<String> params) {
    Map<String, Object> r = new LinkedHashMap<>();
    for (String p : params) {
      String v = pop(env, name + "_" + p);
      if (present(v)) {
        r.put(p, v);
      }
    }
    return r;
  }

  private static void convert(
      Map<String, Object> ret,
      String section,
      String key,
      java.util.function.Function<String, Object> parser) {
    if (!(ret.get(section) instanceof Map<?, ?>)) {
      return;
    }
    Map<String, Object> s = section(ret, section);
    Object raw = s.remove(key);
    if (raw instanceof String str && present(str)) {
      Object v = parser.apply(str);
      if (v != null) {
        s.put(key, v);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> tree, String name) {
    return (Map<String, Object>) tree.computeIfAbsent(name, k -> new LinkedHashMap<>());
  }

  private static String pop(Map<String, String> env, String name) {
    return env.remove(PREFIX + upper(name));
  }

  private static String upper(String s) {
    return s.toUpperCase(Locale.ROOT);
  }

  private static boolean present(String v) {
    return v != null && !v.isEmpty();
  }

  /** Patroni's {@code parse_bool}; an unparsable value is kept as written (validation names it). */
  static Object parseBool(String value) {
    Boolean b = ConfigValues.parseBool(value);
    return b != null ? b : value;
  }

  /**
   * A whole number when it is one, read as C's {@code strtol} with base 0 as Patroni does ({@code
   * 0x1f} hexadecimal, {@code 0644} octal); otherwise kept as written (validation names it).
   */
  static Object parseInt(String value) {
    String v = value.strip();
    boolean negative = v.startsWith("-");
    String digits = negative || v.startsWith("+") ? v.substring(1) : v;
    try {
      int n;
      if (digits.startsWith("0x") || digits.startsWith("0X")) {
        n = Integer.parseInt(digits.substring(2), 16);
      } else if (digits.length() > 1 && digits.startsWith("0")) {
        n = Integer.parseInt(digits.substring(1), 8);
      } else {
        n = Integer.parseInt(digits);
      }
      return negative ? -n : n;
    } catch (NumberFormatException e) {
      return value;
    }
  }

  /** {@code a,b} or {@code [a, b]} or a YAML block list, as Patroni's {@code _parse_list}. */
  private static Object parseList(String value, String variable, List<ConfigProblem> problems) {
    String v = value;
    if (!(v.strip().startsWith("-") || v.contains("["))) {
      v = "[" + v + "]";
    }
    try {
      Object parsed = yaml().load(v);
      if (parsed instanceof List<?> list) {
        List<Object> out = new ArrayList<>();
        for (Object o : list) {
          out.add(o instanceof Map<?, ?> || o instanceof List<?> ? o : String.valueOf(o));
        }
        return out;
      }
      return parsed;
    } catch (RuntimeException e) {
      problems.add(ConfigProblem.warning(variable, "not a list; ignored"));
      return null;
    }
  }

  /** {@code k: v, k2: v2} or {@code {k: v}}, as Patroni's {@code _parse_dict}. */
  private static Object parseDict(String value, String variable, List<ConfigProblem> problems) {
    String v = value;
    if (!v.strip().startsWith("{")) {
      v = "{" + v + "}";
    }
    try {
      Object parsed = yaml().load(v);
      if (parsed instanceof Map<?, ?>) {
        return parsed;
      }
    } catch (RuntimeException e) {
      // fall through
    }
    problems.add(ConfigProblem.warning(variable, "not a map of key: value; ignored"));
    return null;
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }
}
