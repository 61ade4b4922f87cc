package io.pgregent.ctl;

import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigProblem;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.DcsSections;
import io.pgregent.core.dcs.Timings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What regentctl needs from the configuration: the cluster, the store, and how to call the members'
 * REST API. Read with the agent's loader (the same YAML and {@code PATRONI_*} variables), from
 * {@code -c FILE}, else {@code $PATRONICTL_CONFIG_FILE}, else {@code
 * ~/.config/patroni/patronictl.yaml} when it exists, else the environment alone.
 *
 * @param source where the settings came from, for messages
 * @param scope the configured cluster name, or null
 * @param namespace the configured namespace, or null for the default
 * @param store the store's section name ({@code etcd3}, {@code zookeeper})
 * @param storeSection that section's settings
 * @param retryTimeout how long a store operation may take before the store counts as unreachable
 * @param loopWait the {@code loop_wait} in force in seconds, for progress messages
 * @param rest how to call the members' REST API
 */
record CtlSettings(
    String source,
    String scope,
    String namespace,
    String store,
    Map<String, Object> storeSection,
    Duration retryTimeout,
    int loopWait,
    RestSettings rest) {

  /** Used when the configuration sets no retry_timeout: a command should answer quickly. */
  static final Duration DEFAULT_RETRY_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Basic-auth credentials for unsafe requests and TLS settings.
   *
   * @param username {@code ctl.authentication.username}, else {@code restapi.authentication}'s
   * @param password its password
   * @param cacert {@code ctl.cacert}, else {@code restapi.cafile}
   * @param certfile {@code ctl.certfile}: a client certificate (PEM)
   * @param keyfile {@code ctl.keyfile}: its key (PEM, PKCS #8)
   * @param keyPassword {@code ctl.keyfile_password}
   * @param insecure {@code -k} or {@code ctl.insecure}: do not verify the server certificate
   */
  record RestSettings(
      String username,
      String password,
      Path cacert,
      Path certfile,
      Path keyfile,
      String keyPassword,
      boolean insecure) {

    @Override
    public String toString() {
      return "RestSettings[username="
          + username
          + ", password="
          + (password == null ? "-" : "****")
          + ", cacert="
          + cacert
          + ", certfile="
          + certfile
          + ", keyfile="
          + keyfile
          + ", insecure="
          + insecure
          + "]";
    }
  }

  static CtlSettings load(
      Path configFile, String dcsUrl, boolean insecure, Map<String, String> env) {
    Path file = configFile;
    if (file == null && env.get("PATRONICTL_CONFIG_FILE") != null) {
      file = Path.of(env.get("PATRONICTL_CONFIG_FILE"));
    }
    if (file == null && env.get("HOME") != null) {
      Path dflt = Path.of(env.get("HOME"), ".config", "patroni", "patronictl.yaml");
      file = Files.isRegularFile(dflt) ? dflt : null;
    }
    List<ConfigProblem> problems = new ArrayList<>();
    Map<String, Object> tree = new AgentConfigLoader(env).tree(file, problems);
    List<ConfigProblem> errors = problems.stream().filter(ConfigProblem::isError).toList();
    if (tree == null || !errors.isEmpty()) {
      throw new CtlException(
          errors.stream().map(ConfigProblem::toString).collect(Collectors.joining("; ")));
    }
    String source = file == null ? "the environment" : file.toString();
    String namespace = Trees.string(tree, "namespace");
    String store;
    Map<String, Object> section;
    if (dcsUrl != null) {
      URI url;
      try {
        url = URI.create(dcsUrl);
      } catch (IllegalArgumentException e) {
        throw new CtlException("--dcs-url " + dcsUrl + ": " + e.getMessage());
      }
      if (url.getScheme() == null) {
        throw new CtlException(
            "--dcs-url "
                + dcsUrl
                + ": write it as DCS://HOST:PORT/NAMESPACE, e.g. etcd3://127.0.0.1:2379");
      }
      store = url.getScheme();
      section = Stores.sectionFromUrl(store, url);
      String path = url.getPath();
      if (path != null && !path.isBlank() && !path.equals("/")) {
        namespace = path;
      }
    } else {
      var present = DcsSections.present(tree.keySet());
      if (present.isEmpty()) {
        throw new CtlException(
            "no store in "
                + source
                + ": add one of the sections "
                + Stores.knownSections()
                + ", or give --dcs-url etcd3://HOST:PORT");
      }
      if (present.size() > 1) {
        throw new CtlException(
            source + " names more than one store: " + String.join(" and ", present));
      }
      store = present.iterator().next();
      Stores.type(store);
      section = new LinkedHashMap<>(Trees.map(tree, store));
    }
    // the values in force, as the agents adjust them
    DynamicConfig.Result dcs =
        DynamicConfig.parse(Formats.JSON.valueToTree(Trees.map(tree, "bootstrap.dcs")));
    Timings timings = dcs.config().timings();
    Duration retry = Duration.ofSeconds(timings.retryTimeout());
    boolean retrySet =
        Trees.string(tree, "bootstrap.dcs.retry_timeout") != null
            && dcs.errors().stream().noneMatch(e -> e.key().equals("retry_timeout"));
    if (!retrySet && retry.compareTo(DEFAULT_RETRY_TIMEOUT) > 0) {
      retry = DEFAULT_RETRY_TIMEOUT;
    }
    int lw = timings.loopWait();

    String user = Trees.string(tree, "ctl.authentication.username");
    String pass = Trees.string(tree, "ctl.authentication.password");
    if (user == null) {
      user = Trees.string(tree, "restapi.authentication.username");
      pass = Trees.string(tree, "restapi.authentication.password");
    }
    String cacert = Trees.string(tree, "ctl.cacert");
    if (cacert == null) {
      cacert = Trees.string(tree, "restapi.cafile");
    }
    RestSettings rest =
        new RestSettings(
            user,
            pass,
            path(cacert),
            path(Trees.string(tree, "ctl.certfile")),
            path(Trees.string(tree, "ctl.keyfile")),
            Trees.string(tree, "ctl.keyfile_password"),
            insecure || Trees.bool(tree, "ctl.insecure"));
    return new CtlSettings(
        source, Trees.string(tree, "scope"), namespace, store, section, retry, lw, rest);
  }

  private static Path path(String value) {
    return value == null ? null : Path.of(value);
  }
}
