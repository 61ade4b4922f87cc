package io.pgregent.agent.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.agent.config.ConfigKeys.Kind;
import io.pgregent.agent.config.ConfigKeys.Spec;
import io.pgregent.core.config.DynamicConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a configuration tree against {@link ConfigKeys} and Patroni's rules, collecting every
 * problem: invalid values and missing required keys are errors, unknown, unsupported, deprecated
 * and risky keys are warnings.
 */
final class ConfigValidator {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<String> WILDCARD_HOSTS = Set.of("", "*", "0.0.0.0", "::");
  private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "::1");

  /** The dynamic configuration, read by {@link DynamicConfig} as the agents will read it. */
  private static final String DCS = "bootstrap.dcs";

  private final Map<String, Object> tree;
  private final List<ConfigProblem> problems;

  private ConfigValidator(Map<String, Object> tree, List<ConfigProblem> problems) {
    this.tree = tree;
    this.problems = problems;
  }

  /** Validates {@code tree}, adding to {@code problems}. */
  static void validate(Map<String, Object> tree, List<ConfigProblem> problems) {
    ConfigValidator v = new ConfigValidator(tree, problems);
    v.walk("", tree);
    v.required();
    v.stores();
    v.timing();
    v.replicaMethods();
    v.bootstrapMethod();
    v.tags();
    v.rewindUser();
    v.pairs();
    v.fenceDir();
    LogSettings.read(tree, problems::add);
  }

  // ---- the key table ----

  @SuppressWarnings("unchecked")
  private void walk(String prefix, Map<String, Object> map) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      Object value = e.getValue();
      Spec spec = ConfigKeys.lookup(key);
      if (spec == null) {
        if (isCustomMethod(prefix, e.getKey())) {
          if (!(value instanceof Map<?, ?>)) {
            error(key, "expected a map (command: …), not " + describe(key, value));
          }
          continue;
        }
        warn(key, "unknown key; ignored");
        continue;
      }
      switch (spec.status()) {
        case UNSUPPORTED -> {
          warn(key, "not supported by Regent yet; ignored" + note(spec));
          continue;
        }
        case DEPRECATED -> warn(key, "deprecated: " + spec.note());
        case DYNAMIC_AT_ROOT -> {
          warn(key, spec.note());
          continue;
        }
        case SUPPORTED -> {
          // checked below
        }
      }
      if (check(key, value, spec) && spec.kind() == Kind.SECTION && !key.equals(DCS)) {
        walk(key, (Map<String, Object>) value);
      }
    }
  }

  /** {@code postgresql.<m>} named in create_replica_methods, {@code bootstrap.<method>}. */
  private boolean isCustomMethod(String prefix, String name) {
    if (prefix.equals("postgresql")) {
      return ConfigValues.strings(tree, "postgresql.create_replica_methods").contains(name);
    }
    if (prefix.equals("bootstrap")) {
      return name.equals(ConfigValues.string(tree, "bootstrap.method"));
    }
    return false;
  }

  private static String note(Spec spec) {
    return spec.note() == null ? "" : " (" + spec.note() + ")";
  }

  /** True when the value has the expected shape. */
  private boolean check(String key, Object value, Spec spec) {
    switch (spec.kind()) {
      case STRING -> {
        return expect(ConfigValues.isScalar(value), key, value, "a string");
      }
      case INT -> {
        Long n = ConfigValues.parseLong(value);
        if (n == null || value instanceof Boolean) {
          return expect(false, key, value, "a whole number");
        }
        if (n < spec.min()) {
          error(key, "must be at least " + spec.min() + ", not " + n);
          return false;
        }
        if (n > spec.max()) {
          error(key, "must be at most " + spec.max() + ", not " + n);
          return false;
        }
        return true;
      }
      case BOOL -> {
        return expect(ConfigValues.parseBool(value) != null, key, value, "true or false");
      }
      case CONNECT_ADDRESS -> {
        return hostPort(key, value, false);
      }
      case LISTEN -> {
        return hostPort(key, value, true);
      }
      case STRING_LIST -> {
        return expect(
            value instanceof List<?> l && l.stream().allMatch(ConfigValues::isScalar),
            key,
            value,
            "a list of strings");
      }
      case HOSTS -> {
        return expect(
            value instanceof String
                || value instanceof List<?> l && l.stream().allMatch(ConfigValues::isScalar),
            key,
            value,
            "a list of host:port or one comma-separated string");
      }
      case OPTIONS -> {
        return options(key, value);
      }
      case OPTIONS_OR_MAP -> {
        return value instanceof Map<?, ?> || options(key, value);
      }
      case MAP, SECTION -> {
        return expect(value instanceof Map<?, ?>, key, value, "a map of key: value");
      }
      case INT_OR_STRING -> {
        return expect(ConfigValues.isScalar(value), key, value, "a number or a string");
      }
      case ENUM -> {
        boolean ok =
            ConfigValues.isScalar(value)
                && spec.values().stream().anyMatch(v -> v.equalsIgnoreCase(String.valueOf(value)));
        return expect(ok, key, value, "one of " + String.join(", ", spec.values()));
      }
      case GUARD_MODE -> {
        if (Boolean.TRUE.equals(ConfigValues.parseBool(value))) {
          // Patroni's runtime turns these into off, the opposite of what they say.
          error(
              key,
              "expected off, automatic or required, not "
                  + describe(key, value)
                  + ": write automatic or required (Patroni runs true or on as off)");
          return false;
        }
        return expect(GuardMode.parse(value) != null, key, value, "off, automatic or required");
      }
      case SYNC_MODE -> {
        boolean ok =
            ConfigValues.parseBool(value) != null
                || value instanceof String s && s.strip().equalsIgnoreCase("quorum");
        return expect(ok, key, value, "on, off or quorum");
      }
      case ANY -> {
        return true;
      }
    }
    return true;
  }

  private boolean options(String key, Object value) {
    if (!(value instanceof List<?> list)) {
      return expect(false, key, value, "a list of options");
    }
    boolean ok = true;
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      boolean good =
          ConfigValues.isScalar(item)
              || item instanceof Map<?, ?> m
                  && m.size() == 1
                  && ConfigValues.isScalar(m.values().iterator().next());
      if (!good) {
        error(key + "[" + i + "]", "expected an option (a string or one key: value)");
        ok = false;
      }
    }
    return ok;
  }

  private boolean hostPort(String key, Object value, boolean listen) {
    if (!(value instanceof String s)) {
      return expect(false, key, value, "host:port");
    }
    int colon = s.lastIndexOf(':');
    if (colon < 0 || s.endsWith("]")) {
      error(key, "'" + s + "' has no port: write it as host:port");
      return false;
    }
    String portText = s.substring(colon + 1).strip();
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      error(key, "'" + s + "' has an invalid port: write it as host:port (port 1-65535)");
      return false;
    }
    String host = s.substring(0, colon).strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (!listen) {
      if (WILDCARD_HOSTS.contains(host) || host.contains(",")) {
        error(key, "'" + s + "' must name one host other members can reach, not a wildcard");
        return false;
      }
      if (LOOPBACK_HOSTS.contains(host.toLowerCase(Locale.ROOT))) {
        warn(key, "'" + s + "' is a loopback address: members on other hosts cannot reach it");
      }
    }
    return true;
  }

  private boolean expect(boolean ok, String key, Object value, String what) {
    if (!ok) {
      error(key, "expected " + what + ", not " + describe(key, value));
    }
    return ok;
  }

  private static String describe(String key, Object value) {
    if (value instanceof Map<?, ?>) {
      return "a map";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    return Secrets.show(key, value);
  }

  // ---- rules across keys ----

  private void required() {
    for (String key :
        List.of(
            "scope",
            "name",
            "restapi.listen",
            "restapi.connect_address",
            "postgresql.listen",
            "postgresql.connect_address",
            "postgresql.data_dir",
            "postgresql.authentication.superuser.username",
            "postgresql.authentication.replication.username")) {
      Object v = ConfigValues.get(tree, key);
      if (v == null || v instanceof String s && s.isBlank()) {
        error(key, "required but not set");
      }
    }
  }

  private void stores() {
    List<String> present = new ArrayList<>();
    for (String s : io.pgregent.core.dcs.DcsSections.KNOWN) {
      if (tree.containsKey(s)) {
        present.add(s);
      }
    }
    if (present.size() > 1) {
      error(
          String.join(", ", present),
          "more than one store section ("
              + String.join(" and ", present)
              + "): keep exactly one of them");
    } else if (present.isEmpty()) {
      error(
          "etcd3",
          "no store section: add one of "
              + String.join(", ", ConfigKeys.SUPPORTED_STORES)
              + " (e.g. etcd3: {hosts: 10.0.0.1:2379})");
    } else if (!ConfigKeys.SUPPORTED_STORES.contains(present.get(0))) {
      error(
          present.get(0),
          "this store is not supported by Regent: use one of "
              + String.join(", ", ConfigKeys.SUPPORTED_STORES));
    }
  }

  private void timing() {
    if (!(ConfigValues.get(tree, DCS) instanceof Map<?, ?> dcs)) {
      return; // absent, or already reported
    }
    DynamicConfig.Result read = DynamicConfig.parse(JSON.valueToTree(dcs));
    read.errors().forEach(e -> error(DCS + "." + e.key(), e.message()));
    read.warnings().forEach(w -> warn(DCS + "." + w.key(), w.message()));
    if (read.valid()) {
      watchdogTimeout(read.config().ttl(), read.config().loopWait());
    }
  }

  /**
   * An explicitly enabled watchdog whose timeout ({@code ttl − safety_margin}) would not cover one
   * {@code loop_wait} is never activated: say so now rather than at the first promotion.
   */
  private void watchdogTimeout(long ttl, long loopWait) {
    GuardMode mode = GuardMode.parse(ConfigValues.get(tree, "watchdog.mode"));
    Long margin = ConfigValues.number(tree, "watchdog.safety_margin");
    if (mode == null || mode == GuardMode.OFF || margin != null && margin < -1) {
      return;
    }
    long timeout =
        margin == null
            ? ttl - WatchdogSettings.DEFAULT_SAFETY_MARGIN
            : margin == -1 ? ttl / 2 : ttl - margin;
    if (timeout < Math.max(1, loopWait)) {
      warn(
          "watchdog.safety_margin",
          "the watchdog timeout (ttl "
              + ttl
              + " − safety_margin = "
              + timeout
              + " s) is shorter than loop_wait ("
              + loopWait
              + " s): the watchdog cannot be activated"
              + (mode == GuardMode.REQUIRED ? " and this member will never become the leader" : "")
              + "; raise ttl or lower safety_margin");
    }
  }

  private void replicaMethods() {
    Set<String> seen = new HashSet<>();
    for (String m : ConfigValues.strings(tree, "postgresql.create_replica_methods")) {
      if (m.equals("basebackup") || !seen.add(m)) {
        continue;
      }
      String key = "postgresql." + m;
      if (ConfigValues.string(tree, key + ".command") == null) {
        error(key + ".command", "required: create_replica_methods names '" + m + "'");
      }
    }
  }

  private void bootstrapMethod() {
    String m = ConfigValues.string(tree, "bootstrap.method");
    if (m == null || m.equals("initdb")) {
      return;
    }
    if (ConfigValues.string(tree, "bootstrap." + m + ".command") == null) {
      error("bootstrap." + m + ".command", "required: bootstrap.method is '" + m + "'");
    }
    Object recovery = ConfigValues.get(tree, "bootstrap." + m + ".recovery_conf");
    if (recovery != null && !(recovery instanceof Map<?, ?>)) {
      error("bootstrap." + m + ".recovery_conf", "expected a map of recovery settings");
    }
  }

  private void tags() {
    conflictingTag("nofailover", "failover_priority");
    conflictingTag("nosync", "sync_priority");
  }

  /**
   * A boolean tag that says the opposite of its priority tag: the boolean wins, in Patroni's
   * wording (operators grep for it).
   */
  private void conflictingTag(String flagName, String priorityName) {
    Object flag = ConfigValues.get(tree, "tags." + flagName);
    Long priority = ConfigValues.number(tree, "tags." + priorityName);
    if (flag == null || priority == null) {
      return;
    }
    boolean on = Boolean.TRUE.equals(ConfigValues.parseBool(flag));
    if (on == priority > 0) {
      String shown = flag instanceof Boolean b ? (b ? "True" : "False") : String.valueOf(flag);
      warn(
          "tags." + flagName,
          "Conflicting configuration between "
              + flagName
              + ": "
              + shown
              + " and "
              + priorityName
              + ": "
              + priority
              + ". Defaulting to "
              + flagName
              + ": "
              + shown);
    }
  }

  private void rewindUser() {
    boolean rewind =
        ConfigValues.bool(tree, "postgresql.use_pg_rewind", false)
            || ConfigValues.bool(tree, "bootstrap.dcs.postgresql.use_pg_rewind", false);
    if (rewind
        && ConfigValues.get(tree, "postgresql.authentication.superuser") != null
        && ConfigValues.get(tree, "postgresql.authentication.rewind") == null) {
      warn(
          "postgresql.authentication.rewind",
          "not set: pg_rewind runs as the superuser (Patroni recommends a dedicated rewind user on"
              + " PostgreSQL 11+)");
    }
  }

  /** Sections whose keys only make sense together. */
  private void pairs() {
    if (ConfigValues.get(tree, "restapi.authentication") instanceof Map<?, ?> auth) {
      for (String k : List.of("username", "password")) {
        if (blank(auth.get(k))) {
          error("restapi.authentication." + k, "required when restapi.authentication is set");
        }
      }
    }
    if (ConfigValues.get(tree, "postgresql.authentication.rewind") instanceof Map<?, ?> rewind
        && blank(rewind.get("username"))) {
      error(
          "postgresql.authentication.rewind.username",
          "required when postgresql.authentication.rewind is set");
    }
  }

  /** The fence's files must not travel with the data directory. */
  private void fenceDir() {
    String fence = ConfigValues.string(tree, "regent.fence.dir");
    String data = ConfigValues.string(tree, "postgresql.data_dir");
    if (blank(fence) || blank(data)) {
      return;
    }
    try {
      java.nio.file.Path f = java.nio.file.Path.of(fence.strip()).toAbsolutePath().normalize();
      java.nio.file.Path d = java.nio.file.Path.of(data.strip()).toAbsolutePath().normalize();
      if (f.startsWith(d)) {
        warn(
            "regent.fence.dir",
            "inside postgresql.data_dir: pg_basebackup copies it and re-creating the replica"
                + " removes it; keep it beside the data directory (the default is "
                + FenceSettings.defaultDir(java.nio.file.Path.of(data.strip()))
                + ")");
      }
    } catch (java.nio.file.InvalidPathException e) {
      error("regent.fence.dir", "not a valid path: " + e.getReason());
    }
  }

  private static boolean blank(Object v) {
    return v == null || String.valueOf(v).isBlank();
  }

  private void error(String key, String message) {
    problems.add(ConfigProblem.error(key, message));
  }

  private void warn(String key, String message) {
    problems.add(ConfigProblem.warning(key, message));
  }
}
