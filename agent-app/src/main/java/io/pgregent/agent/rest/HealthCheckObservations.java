package io.pgregent.agent.rest;

import io.micrometer.observation.ObservationPredicate;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Load balancers call the health checks many times a second: those requests are not observed
 * ({@code http.server.requests}), which keeps their cost and allocation low. Every other request
 * is.
 */
@Configuration(proxyBeanMethods = false)
public class HealthCheckObservations {

  /** Every health-check path, in a fixed order (the REST fuzz test draws from it by seed). */
  static final List<String> HEALTH_CHECK_PATHS =
      Stream.concat(
              Stream.of(HealthRules.Check.values()).flatMap(c -> c.paths().stream()),
              Stream.of("/liveness", "/readiness"))
          .toList();

  static final Set<String> HEALTH_CHECKS = Set.copyOf(HEALTH_CHECK_PATHS);

  @Bean
  ObservationPredicate patroniHealthChecksNotObserved() {
    return (name, context) ->
        !(context instanceof ServerRequestObservationContext server
            && HEALTH_CHECKS.contains(server.getCarrier().getRequestURI()));
  }
}
