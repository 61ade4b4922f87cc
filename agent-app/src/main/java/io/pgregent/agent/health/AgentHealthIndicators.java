package io.pgregent.agent.health;

import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.rest.HealthRules;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Actuator health from the HA loop's snapshot, the same rules as Patroni's endpoints: {@code
 * haLoop} (liveness: the loop ran within ttl, 2 × ttl as replica), {@code postgresReadiness}
 * ({@code /readiness}), {@code primaryRole} ({@code /primary}) and {@code replicaRole} ({@code
 * /replica}). The role indicators answer {@link #NOT_PRIMARY}/{@link #NOT_REPLICA} rather than
 * DOWN, ordered after UP, so that the overall health of a healthy replica stays UP while the {@code
 * primary} group answers 503 (see application.properties).
 */
@Configuration(proxyBeanMethods = false)
public class AgentHealthIndicators {

  public static final Status NOT_PRIMARY = new Status("NOT_PRIMARY", "not the primary");
  public static final Status NOT_REPLICA = new Status("NOT_REPLICA", "not a usable replica");

  @Bean
  HealthIndicator haLoopHealthIndicator(HaLoop loop) {
    return () -> {
      Optional<AgentSnapshot> s = loop.snapshot();
      boolean live = HealthRules.live(s, loop.ttlSeconds(), System.nanoTime());
      Health.Builder b = live ? Health.up() : Health.down();
      s.ifPresent(
          x ->
              b.withDetail(
                  "lastCycleSecondsAgo",
                  (System.nanoTime() - x.completedAtNanos()) / 1_000_000_000L));
      return b.build();
    };
  }

  @Bean
  HealthIndicator postgresReadinessHealthIndicator(HaLoop loop) {
    return () -> {
      Optional<AgentSnapshot> s = loop.snapshot();
      boolean ready = s.isPresent() && HealthRules.ready(s, facts(loop, s.get()), Map.of());
      return (ready ? Health.up() : Health.outOfService())
          .withDetail("state", s.map(AgentSnapshot::state).orElse("unknown"))
          .build();
    };
  }

  @Bean
  HealthIndicator primaryRoleHealthIndicator(HaLoop loop) {
    return () -> role(loop, HealthRules.Check.PRIMARY, NOT_PRIMARY);
  }

  @Bean
  HealthIndicator replicaRoleHealthIndicator(HaLoop loop) {
    return () -> role(loop, HealthRules.Check.REPLICA, NOT_REPLICA);
  }

  private static Health role(HaLoop loop, HealthRules.Check check, Status otherwise) {
    Optional<AgentSnapshot> s = loop.snapshot();
    if (s.isEmpty()) {
      return Health.status(otherwise).build();
    }
    HealthRules.Facts f = facts(loop, s.get());
    boolean passes = HealthRules.passes(check, f, Map.of());
    return Health.status(passes ? Status.UP : otherwise).withDetail("role", f.role()).build();
  }

  private static HealthRules.Facts facts(HaLoop loop, AgentSnapshot s) {
    return new HealthRules.Facts(s, loop.config().name(), loop.config().tags());
  }
}
