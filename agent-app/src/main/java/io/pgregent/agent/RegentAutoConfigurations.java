package io.pgregent.agent;

import java.util.HashSet;
import java.util.Set;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * The auto-configurations the agent runs with: its stores' starters ({@code io.pgregent}) and the
 * Spring Boot ones behind the REST API, the Actuator health groups and the Prometheus endpoint.
 * Everything else on the classpath (about 150 candidates: clients, caches, task executors, Gson,
 * WebSocket, endpoints that are not exposed) is dropped before Spring Boot evaluates its
 * conditions, so none of their classes is loaded: each loaded class stays in the agent's memory for
 * good.
 *
 * <p>Applies only to the agent's application ({@link RegentApplication}); registered in {@code
 * META-INF/spring.factories}, ahead of Spring Boot's own condition filters.
 */
public final class RegentAutoConfigurations
    implements AutoConfigurationImportFilter, BeanClassLoaderAware, EnvironmentAware, Ordered {

  /** The Spring Boot auto-configurations the agent uses. */
  static final Set<String> SPRING_BOOT =
      Set.of(
          // Core
          "org.springframework.boot.autoconfigure.context.ConfigurationPropertiesAutoConfiguration",
          "org.springframework.boot.autoconfigure.context.LifecycleAutoConfiguration",
          "org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration",
          "org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration",
          "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration",
          "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration",
          // The REST API: Tomcat and Spring MVC
          "org.springframework.boot.autoconfigure.web.embedded.EmbeddedWebServerFactoryCustomizerAutoConfiguration",
          "org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration",
          "org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration",
          "org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration",
          "org.springframework.boot.autoconfigure.web.servlet.HttpEncodingAutoConfiguration",
          "org.springframework.boot.autoconfigure.web.servlet.error.ErrorMvcAutoConfiguration",
          "org.springframework.boot.autoconfigure.http.HttpMessageConvertersAutoConfiguration",
          // Actuator endpoints on the REST API's port
          "org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.endpoint.jackson.JacksonEndpointAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.web.server.ManagementContextAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.web.servlet.ServletManagementContextAutoConfiguration",
          // Health: the groups, ping, disk space, availability (and probes on Kubernetes)
          "org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.health.HealthEndpointAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.system.DiskSpaceHealthContributorAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.availability.AvailabilityHealthContributorAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.availability.AvailabilityProbesAutoConfiguration",
          // Metrics: the registry, the Prometheus endpoint, and the meters it publishes
          "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.export.prometheus.PrometheusMetricsExportAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.JvmMetricsAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.SystemMetricsAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.LogbackMetricsAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.metrics.startup.StartupTimeMetricsListenerAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
          "org.springframework.boot.actuate.autoconfigure.observation.web.servlet.WebMvcObservationAutoConfiguration");

  private boolean regent;
  private ClassLoader classLoader;
  private Set<String> candidates;

  @Override
  public void setBeanClassLoader(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  @Override
  public void setEnvironment(Environment environment) {
    regent =
        environment instanceof ConfigurableEnvironment c
            && c.getPropertySources().contains(RegentApplication.CONFIG_SOURCE);
  }

  @Override
  public boolean[] match(String[] classes, AutoConfigurationMetadata metadata) {
    boolean[] match = new boolean[classes.length];
    for (int i = 0; i < classes.length; i++) {
      match[i] = !regent || allowed(classes[i]);
    }
    return match;
  }

  // Spring Boot also asks about every class an auto-configuration imports (nested configurations):
  // only auto-configurations themselves are dropped.
  private boolean allowed(String c) {
    if (c == null || c.startsWith("io.pgregent.") || SPRING_BOOT.contains(c)) {
      return true;
    }
    if (candidates == null) {
      candidates =
          new HashSet<>(
              ImportCandidates.load(AutoConfiguration.class, classLoader).getCandidates());
    }
    return !candidates.contains(c);
  }

  @Override
  public int getOrder() {
    // Before Spring Boot's class conditions, which would load classes to check for them.
    return Ordered.HIGHEST_PRECEDENCE;
  }
}
