package io.pgregent.agent.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.PriorityTags;
import io.pgregent.postgres.config.BootstrapMethod;
import io.pgregent.postgres.config.BootstrapSettings;
import io.pgregent.postgres.config.Callbacks;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.ReplicaMethod;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Loads the agent's configuration as Patroni does: a YAML file, or a directory whose {@code
 * *.yml}/{@code *.yaml} files are merged in alphabetical order (later files win, maps merged key by
 * key, a null removes a key); without a path, the whole YAML from {@code PATRONI_CONFIGURATION}, or
 * else the environment alone. {@code PATRONI_*} variables ({@link PatroniEnvironment}) are then
 * merged over a file or directory. The result is validated ({@link ConfigValidator}) and bound to
 * {@link AgentConfig}. No Spring here: the CLI and the agent use the same loader.
 */
public final class AgentConfigLoader {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> environment;

  /**
   * @param environment the process environment ({@code System.getenv()}); a parameter so that tests
   *     need not touch the real one
   */
  public AgentConfigLoader(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  /**
   * Loads and validates; warnings are in the result.
   *
   * @param path a file or directory, or null to read the environment
   * @throws ConfigException listing every error (one line each) when there is any
   */
  public LoadedConfig load(Path path) {
    LoadedConfig loaded = read(path);
    if (loaded.hasErrors()) {
      throw new ConfigException(loaded.problems());
    }
    return loaded;
  }

  /**
   * Loads and validates without throwing: the configuration is null when there is an error.
   *
   * @param path a file or directory, or null to read the environment
   */
  public LoadedConfig read(Path path) {
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, Object> tree = tree(path, problems);
    if (tree == null) {
      return new LoadedConfig(null, problems);
    }
    ConfigValidator.validate(tree, problems);
    if (problems.stream().anyMatch(ConfigProblem::isError)) {
      return new LoadedConfig(null, problems);
    }
    try {
      return new LoadedConfig(bind(tree), problems);
    } catch (RuntimeException e) {
      // Validation should have caught it; still one line, never a stack trace.
      problems.add(ConfigProblem.error("configuration", "cannot be used: " + e.getMessage()));
      return new LoadedConfig(null, problems);
    }
  }

  /**
   * The merged configuration tree before validation, or null when a source cannot be read. The
   * command-line tool reads its sections from it: a {@code patronictl.yaml} holds only some of the
   * keys an agent needs.
   *
   * @param path a file or directory, or null to read the environment
   * @param problems receives what made a source unreadable, and warnings
   */
  public Map<String, Object> tree(Path path, List<ConfigProblem> problems) {
    Map<String, Object> tree;
    if (path != null) {
      tree = readPath(path, problems);
      if (tree == null) {
        return null;
      }
      ConfigValues.deepMerge(tree, PatroniEnvironment.read(environment, problems, tree.keySet()));
    } else {
      String whole = environment.get(PatroniEnvironment.CONFIGURATION);
      if (whole != null && !whole.isBlank()) {
        tree = parse(whole, PatroniEnvironment.CONFIGURATION, problems);
        if (tree == null) {
          return null;
        }
      } else {
        tree = PatroniEnvironment.read(environment, problems, java.util.Set.of());
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> normalized = (Map<String, Object>) ConfigValues.normalize(tree, false);
    LegacyLayout.rewrite(normalized, problems);
    return normalized;
  }

  private Map<String, Object> readPath(Path path, List<ConfigProblem> problems) {
    if (Files.isRegularFile(path)) {
      return readFile(path, problems);
    }
    if (!Files.isDirectory(path)) {
      problems.add(ConfigProblem.error(path.toString(), "no such file or directory"));
      return null;
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(path)) {
      files =
          list.filter(Files::isRegularFile)
              .filter(
                  p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".yml") || n.endsWith(".yaml");
                  })
              .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
              .toList();
    } catch (IOException e) {
      problems.add(ConfigProblem.error(path.toString(), "cannot list the directory: " + e));
      return null;
    }
    if (files.isEmpty()) {
      problems.add(
          ConfigProblem.error(path.toString(), "no *.yml or *.yaml file in the directory"));
      return null;
    }
    Map<String, Object> merged = new LinkedHashMap<>();
    boolean failed = false;
    for (Path f : files) {
      Map<String, Object> one = readFile(f, problems);
      if (one == null) {
        failed = true;
      } else {
        ConfigValues.deepMerge(merged, one);
      }
    }
    return failed ? null : merged;
  }

  private Map<String, Object> readFile(Path file, List<ConfigProblem> problems) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return root(yaml().load(r), file.toString(), problems);
    } catch (IOException e) {
      problems.add(ConfigProblem.error(file.toString(), "cannot read: " + e.getMessage()));
      return null;
    } catch (MarkedYAMLException e) {
      problems.add(ConfigProblem.error(file.toString(), yamlError(e)));
      return null;
    } catch (RuntimeException e) {
      problems.add(ConfigProblem.error(file.toString(), "not valid YAML: " + e.getMessage()));
      return null;
    }
  }

  private static Map<String, Object> parse(
      String text, String source, List<ConfigProblem> problems) {
    try {
      return root(yaml().load(text), source, problems);
    } catch (MarkedYAMLException e) {
      problems.add(ConfigProblem.error(source, yamlError(e)));
      return null;
    } catch (RuntimeException e) {
      problems.add(ConfigProblem.error(source, "not valid YAML: " + e.getMessage()));
      return null;
    }
  }

  /** The problem and its position, without the offending text (it could hold a password). */
  private static String yamlError(MarkedYAMLException e) {
    String where =
        e.getProblemMark() == null
            ? ""
            : " at line "
                + (e.getProblemMark().getLine() + 1)
                + ", column "
                + (e.getProblemMark().getColumn() + 1);
    return "not valid YAML" + where + ": " + e.getProblem();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> root(
      Object loaded, String source, List<ConfigProblem> problems) {
    if (loaded == null) {
      return new LinkedHashMap<>();
    }
    if (!(loaded instanceof Map<?, ?>)) {
      problems.add(ConfigProblem.error(source, "expected a map of key: value at the top level"));
      return null;
    }
    // Nulls stay until the files are merged: a null in a later file removes the key.
    return (Map<String, Object>) ConfigValues.normalize(loaded, true);
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  // ---- binding (the tree is valid here) ----

  private AgentConfig bind(Map<String, Object> tree) {
    String scope = ConfigValues.string(tree, "scope").strip();
    String name = ConfigValues.string(tree, "name").strip();
    String namespace = ConfigValues.string(tree, "namespace");
    Map<String, Object> properties = ConfigValues.flatten(tree);
    PostgresSettings postgresql = postgresql(tree, scope, name);
    return new AgentConfig(
        scope,
        namespace,
        name,
        restapi(tree),
        postgresql,
        bootstrapDcs(tree),
        tags(tree),
        properties,
        new LeaseSettings(watchdog(tree), fence(tree, postgresql.dataDir())),
        LogSettings.read(tree, p -> {}));
  }

  private static WatchdogSettings watchdog(Map<String, Object> tree) {
    WatchdogSettings d = WatchdogSettings.DEFAULTS;
    GuardMode mode = GuardMode.parse(ConfigValues.get(tree, "watchdog.mode"));
    String device = ConfigValues.string(tree, "watchdog.device");
    Long margin = ConfigValues.number(tree, "watchdog.safety_margin");
    String driver = ConfigValues.string(tree, "watchdog.driver");
    return new WatchdogSettings(
        mode == null ? d.mode() : mode,
        device == null || device.isBlank() ? d.device() : device.strip(),
        margin == null ? d.safetyMargin() : margin.intValue(),
        driver == null ? d.driver() : WatchdogSettings.Driver.parse(driver));
  }

  private static FenceSettings fence(Map<String, Object> tree, Path dataDir) {
    GuardMode mode = GuardMode.parse(ConfigValues.get(tree, "regent.fence.mode"));
    String dir = ConfigValues.string(tree, "regent.fence.dir");
    return new FenceSettings(
        mode == null ? GuardMode.AUTOMATIC : mode,
        dir == null || dir.isBlank() ? FenceSettings.defaultDir(dataDir) : Path.of(dir.strip()));
  }

  private static RestApiSettings restapi(Map<String, Object> tree) {
    String listen = ConfigValues.string(tree, "restapi.listen").strip();
    int colon = listen.lastIndexOf(':');
    String host = listen.substring(0, colon).strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty() || host.equals("*")) {
      host = "0.0.0.0";
    }
    int port = Integer.parseInt(listen.substring(colon + 1).strip());
    return new RestApiSettings(
        host,
        port,
        ConfigValues.string(tree, "restapi.connect_address").strip(),
        ConfigValues.string(tree, "restapi.authentication.username"),
        ConfigValues.string(tree, "restapi.authentication.password"));
  }

  private static PostgresSettings postgresql(Map<String, Object> tree, String scope, String name) {
    PostgresSettings.Builder b =
        PostgresSettings.builder()
            .scope(scope)
            .name(name)
            .dataDir(Path.of(ConfigValues.string(tree, "postgresql.data_dir")))
            .listen(ConfigValues.string(tree, "postgresql.listen").strip())
            .connectAddress(ConfigValues.string(tree, "postgresql.connect_address").strip())
            .parameters(ConfigValues.map(tree, "postgresql.parameters"))
            .pgHba(ConfigValues.strings(tree, "postgresql.pg_hba"))
            .pgIdent(ConfigValues.strings(tree, "postgresql.pg_ident"))
            .superuser(credentials(tree, "superuser"))
            .replication(credentials(tree, "replication"))
            .createReplicaMethods(ConfigValues.strings(tree, "postgresql.create_replica_methods"))
            .replicaMethods(replicaMethods(tree))
            .basebackup(basebackup(tree))
            .usePgRewind(ConfigValues.bool(tree, "postgresql.use_pg_rewind", false))
            .removeDataDirectoryOnRewindFailure(
                ConfigValues.bool(
                    tree, "postgresql.remove_data_directory_on_rewind_failure", false))
            .removeDataDirectoryOnDivergedTimelines(
                ConfigValues.bool(
                    tree, "postgresql.remove_data_directory_on_diverged_timelines", false))
            .prePromote(ConfigValues.string(tree, "postgresql.pre_promote"))
            .beforeStop(ConfigValues.string(tree, "postgresql.before_stop"))
            .useUnixSocket(ConfigValues.bool(tree, "postgresql.use_unix_socket", false))
            .useUnixSocketRepl(ConfigValues.bool(tree, "postgresql.use_unix_socket_repl", false))
            .postgresUser(ConfigValues.string(tree, "regent.postgres_user"))
            .callbacks(
                new Callbacks(
                    ConfigValues.string(tree, "postgresql.callbacks.on_start"),
                    ConfigValues.string(tree, "postgresql.callbacks.on_stop"),
                    ConfigValues.string(tree, "postgresql.callbacks.on_restart"),
                    ConfigValues.string(tree, "postgresql.callbacks.on_reload"),
                    ConfigValues.string(tree, "postgresql.callbacks.on_role_change")))
            .bootstrap(bootstrap(tree));
    if (ConfigValues.get(tree, "postgresql.authentication.rewind.username") != null) {
      b.rewind(credentials(tree, "rewind"));
    }
    String binDir = ConfigValues.string(tree, "postgresql.bin_dir");
    if (binDir != null && !binDir.isBlank()) {
      b.binDir(Path.of(binDir));
    }
    Map<String, String> binName = new LinkedHashMap<>();
    ConfigValues.map(tree, "postgresql.bin_name")
        .forEach((k, v) -> binName.put(k, String.valueOf(v)));
    b.binName(binName);
    String pgpass = ConfigValues.string(tree, "postgresql.pgpass");
    if (pgpass != null && !pgpass.isBlank()) {
      b.pgpass(Path.of(pgpass));
    }
    String configDir = ConfigValues.string(tree, "postgresql.config_dir");
    if (configDir != null && !configDir.isBlank()) {
      b.configDir(Path.of(configDir));
    }
    b.customConf(ConfigValues.string(tree, "postgresql.custom_conf"));
    b.pgCtlTimeout(seconds(tree, "postgresql.pg_ctl_timeout"));
    b.connectTimeout(seconds(tree, "regent.connect_timeout"));
    b.queryTimeout(seconds(tree, "regent.query_timeout"));
    return b.build();
  }

  private static Duration seconds(Map<String, Object> tree, String key) {
    Long n = ConfigValues.number(tree, key);
    return n == null ? null : Duration.ofSeconds(n);
  }

  private static Credentials credentials(Map<String, Object> tree, String user) {
    String p = "postgresql.authentication." + user;
    Map<String, String> parameters = new LinkedHashMap<>();
    for (String k : Credentials.PARAMETERS) {
      String v = ConfigValues.string(tree, p + "." + k);
      if (v != null) {
        parameters.put(k, v);
      }
    }
    return new Credentials(
        ConfigValues.string(tree, p + ".username"),
        ConfigValues.string(tree, p + ".password"),
        parameters);
  }

  private static Map<String, ReplicaMethod> replicaMethods(Map<String, Object> tree) {
    Map<String, ReplicaMethod> out = new LinkedHashMap<>();
    for (String m : ConfigValues.strings(tree, "postgresql.create_replica_methods")) {
      if (m.equals("basebackup") || out.containsKey(m)) {
        continue;
      }
      Map<String, Object> section = ConfigValues.map(tree, "postgresql." + m);
      Map<String, String> extra = new LinkedHashMap<>();
      section.forEach(
          (k, v) -> {
            if (!List.of("command", "keep_data", "no_params", "no_leader").contains(k)
                && ConfigValues.isScalar(v)) {
              extra.put(k, argument(v));
            }
          });
      out.put(
          m,
          new ReplicaMethod(
              m,
              String.valueOf(section.get("command")),
              flag(section.get("keep_data")),
              flag(section.get("no_params")),
              flag(section.get("no_leader")),
              extra));
    }
    return out;
  }

  /** A value as Patroni writes it in a {@code --key=value} argument (booleans as True/False). */
  private static String argument(Object v) {
    if (v instanceof Boolean b) {
      return b ? "True" : "False";
    }
    return String.valueOf(v);
  }

  private static boolean flag(Object v) {
    Boolean b = ConfigValues.parseBool(v);
    return b != null && b;
  }

  /** {@code basebackup} as a list of options; Patroni also accepts a map of them. */
  private static List<Object> basebackup(Map<String, Object> tree) {
    Object v = ConfigValues.get(tree, "postgresql.basebackup");
    if (v instanceof Map<?, ?> m) {
      List<Object> out = new ArrayList<>();
      m.forEach((k, val) -> out.add(Map.of(String.valueOf(k), val)));
      return out;
    }
    return ConfigValues.list(tree, "postgresql.basebackup");
  }

  private static BootstrapSettings bootstrap(Map<String, Object> tree) {
    String post = ConfigValues.string(tree, "bootstrap.post_bootstrap");
    if (post == null) {
      post = ConfigValues.string(tree, "bootstrap.post_init");
    }
    BootstrapMethod method = null;
    String m = ConfigValues.string(tree, "bootstrap.method");
    if (m != null && !m.equals("initdb")) {
      Map<String, Object> section = ConfigValues.map(tree, "bootstrap." + m);
      Map<String, String> extra = new LinkedHashMap<>();
      section.forEach(
          (k, v) -> {
            if (!List.of(
                        "command",
                        "no_params",
                        "keep_existing_recovery_conf",
                        "recovery_conf",
                        "scope",
                        "datadir")
                    .contains(k)
                && ConfigValues.isScalar(v)) {
              extra.put(k, argument(v));
            }
          });
      Map<String, String> recovery = new LinkedHashMap<>();
      ConfigValues.map(tree, "bootstrap." + m + ".recovery_conf")
          .forEach((k, v) -> recovery.put(k, String.valueOf(v)));
      method =
          new BootstrapMethod(
              m,
              String.valueOf(section.get("command")),
              flag(section.get("no_params")),
              flag(section.get("keep_existing_recovery_conf")),
              extra,
              recovery);
    }
    return new BootstrapSettings(
        ConfigValues.list(tree, "bootstrap.initdb"),
        ConfigValues.strings(tree, "bootstrap.pg_hba"),
        post,
        method);
  }

  /** {@code bootstrap.dcs} as written to the store; legacy {@code master_*} keys renamed. */
  private static ObjectNode bootstrapDcs(Map<String, Object> tree) {
    Map<String, Object> dcs = new LinkedHashMap<>(ConfigValues.map(tree, "bootstrap.dcs"));
    rename(dcs, "master_start_timeout", "primary_start_timeout");
    rename(dcs, "master_stop_timeout", "primary_stop_timeout");
    return JSON.valueToTree(dcs);
  }

  private static void rename(Map<String, Object> dcs, String old, String current) {
    Object v = dcs.remove(old);
    if (v != null) {
      dcs.putIfAbsent(current, v);
    }
  }

  private static Tags tags(Map<String, Object> tree) {
    Map<String, Object> all = new LinkedHashMap<>(ConfigValues.map(tree, "tags"));
    // Patroni's rule: nofailover/nosync, when written, win over their priority tags.
    Boolean nofailover = ConfigValues.parseBool(ConfigValues.get(tree, "tags.nofailover"));
    Long priority = ConfigValues.number(tree, "tags.failover_priority");
    Boolean nosync = ConfigValues.parseBool(ConfigValues.get(tree, "tags.nosync"));
    Long syncPriority = ConfigValues.number(tree, "tags.sync_priority");
    return new Tags(
        PriorityTags.excluded(nofailover, priority),
        PriorityTags.priority(nofailover, priority),
        PriorityTags.excluded(nosync, syncPriority),
        ConfigValues.bool(tree, "tags.noloadbalance", false),
        ConfigValues.bool(tree, "tags.clonefrom", false),
        ConfigValues.string(tree, "tags.replicatefrom"),
        all);
  }
}
