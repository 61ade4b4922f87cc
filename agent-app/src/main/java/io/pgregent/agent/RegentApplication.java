package io.pgregent.agent;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.LocalConfigReload;
import io.pgregent.agent.loop.RegentVersion;
import io.pgregent.agent.rest.RestTls;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.core.env.MapPropertySource;
import org.springframework.web.context.support.StandardServletEnvironment;

/**
 * The agent's Spring application. The configuration is loaded before Spring starts (Patroni's YAML
 * with its keys at the root) and handed over as the highest-precedence property source; {@code
 * restapi.listen} decides where the REST API listens. Only the agent's own packages are scanned:
 * stores come in through their starters' auto-configuration.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(
    basePackages = {
      "io.pgregent.agent.loop",
      "io.pgregent.agent.rest",
      "io.pgregent.agent.health",
      "io.pgregent.agent.metrics",
      "io.pgregent.agent.console"
    })
public class RegentApplication {

  /** The name of the property source holding the user's configuration. */
  public static final String CONFIG_SOURCE = "regentConfig";

  /** Starts the agent with a loaded configuration. */
  public static ConfigurableApplicationContext run(AgentConfig loaded, String... args) {
    return run(loaded, (Path) null, args);
  }

  /**
   * Starts the agent with a loaded configuration, read from {@code source} (re-read on reload; null
   * when it came from the environment only).
   */
  public static ConfigurableApplicationContext run(
      AgentConfig loaded, Path source, String... args) {
    Map<String, Object> tls = RestTls.serverSslProperties(loaded.properties());
    AgentConfig config =
        tls.isEmpty() ? loaded : loaded.withRestapi(loaded.restapi().withTls(true));
    Map<String, Object> properties = new LinkedHashMap<>(config.properties());
    properties.putAll(tls);
    properties.put(
        "server.server-header",
        RestTls.serverHeader(config.properties(), HaLoop.PATRONI_VERSION, RegentVersion.current()));
    properties.put("server.address", config.restapi().listenHost());
    properties.put("server.port", config.restapi().listenPort());
    properties.put("spring.application.name", "regent-" + config.name());
    // In the environment from the start, before the context exists. Logging is not Spring's: the
    // launcher sets it up from log: (PatroniLogging).
    StandardServletEnvironment environment = new StandardServletEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource(CONFIG_SOURCE, properties));
    return new SpringApplicationBuilder(RegentApplication.class)
        .bannerMode(Banner.Mode.OFF)
        .web(WebApplicationType.SERVLET)
        .environment(environment)
        .initializers(
            ctx -> {
              ctx.getBeanFactory().registerSingleton("agentConfig", config);
              ctx.getBeanFactory()
                  .registerSingleton(
                      "localConfigReload", new LocalConfigReload(source, System.getenv()));
            })
        .run(args);
  }
}
