package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigProblem;
import io.pgregent.agent.config.LoadedConfig;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the local configuration (the file or directory the agent started with, and the {@code
 * PATRONI_*} variables) for {@code POST /reload}, {@code patronictl reload} and SIGHUP, and hands
 * what may change without a restart to the loop. An invalid file changes nothing.
 */
public final class LocalConfigReload {

  private static final Logger log = LoggerFactory.getLogger(LocalConfigReload.class);

  private final Path source;
  private final Map<String, String> environment;

  /**
   * @param source the file or directory the agent started with; null when it started from the
   *     environment only
   */
  public LocalConfigReload(Path source, Map<String, String> environment) {
    this.source = source;
    this.environment = Map.copyOf(environment);
  }

  /** Whether the agent started from a configuration file or directory. */
  public boolean fromFile() {
    return source != null;
  }

  /** Re-reads the configuration and applies it to the loop; false when it is invalid. */
  public boolean reload(HaLoop loop) {
    if (source == null && environment.keySet().stream().noneMatch(k -> k.startsWith("PATRONI_"))) {
      // Started from a configuration handed over in-process: there is nothing to re-read.
      return true;
    }
    log.info("Reloading the local configuration");
    LoadedConfig loaded = new AgentConfigLoader(environment).read(source);
    if (loaded.hasErrors()) {
      for (ConfigProblem p : loaded.errors()) {
        log.error("the reloaded configuration is invalid, nothing changed: {}", p);
      }
      return false;
    }
    for (ConfigProblem p : loaded.warnings()) {
      log.warn("{}", p);
    }
    loop.reloadLocal(loaded.config());
    return true;
  }
}
