package io.pgregent.agent.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.rest.HealthRules;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.postgres.status.ServerStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.function.SingletonSupplier;

/**
 * Regent's Micrometer meters ({@code /actuator/prometheus}), read from the HA loop's snapshot when
 * scraped: role, timeline, WAL position, replication lag per replica, pending restart, paused, lock
 * TTL remaining; plus store request latency, leader changes and HA loop duration through {@link
 * InstrumentedDcs}.
 */
@Configuration(proxyBeanMethods = false)
public class RegentMetrics {

  private static final List<String> ROLES =
      List.of("primary", "replica", "standby_leader", "uninitialized");

  /**
   * Wraps the store client; the registry and the loop are looked up lazily, when first used, and
   * then kept (a bean lookup on every store request would cost an idle agent CPU).
   */
  @Bean
  static BeanPostProcessor regentDcsInstrumentation(
      ObjectProvider<MeterRegistry> registry, ObjectProvider<HaLoop> loop) {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof Dcs dcs && !(bean instanceof InstrumentedDcs)) {
          Supplier<HaLoop> haLoop = SingletonSupplier.of(loop::getIfAvailable);
          return new InstrumentedDcs(
              dcs,
              SingletonSupplier.of(registry::getIfAvailable),
              () -> {
                HaLoop l = haLoop.get();
                return l == null
                    ? 0L
                    : l.snapshot().map(AgentSnapshot::completedAtNanos).orElse(0L);
              });
        }
        return bean;
      }
    };
  }

  @Bean
  ApplicationListener<ApplicationStartedEvent> regentGauges(MeterRegistry registry, HaLoop loop) {
    return event -> register(registry, loop);
  }

  static void register(MeterRegistry registry, HaLoop loop) {
    for (String role : ROLES) {
      gauge(
          registry,
          "regent.postgres.role",
          "1 for this member's current role",
          loop,
          f -> f.role().equals(role) ? 1 : 0,
          "role",
          role);
    }
    gauge(
        registry,
        "regent.ha.leader",
        "1 while this member holds the leader lock",
        loop,
        f -> f.snapshot().holdsLock() ? 1 : 0);
    gauge(
        registry,
        "regent.postgres.running",
        "1 while PostgreSQL is running",
        loop,
        f -> f.running() ? 1 : 0);
    gauge(
        registry,
        "regent.postgres.timeline",
        "PostgreSQL's timeline",
        loop,
        f -> f.snapshot().postgres().server().map(ServerStatus::timeline).orElse(0));
    gauge(
        registry,
        "regent.postgres.wal.position",
        "WAL position in bytes (primary: current; " + "replica: replayed)",
        loop,
        f ->
            f.snapshot()
                .postgres()
                .server()
                .map(s -> s.inRecovery() ? Math.max(0, s.replayLsn()) : s.currentLsn())
                .orElse(0L));
    gauge(
        registry,
        "regent.postgres.pending.restart",
        "1 when a parameter change waits for a " + "restart",
        loop,
        f -> f.snapshot().postgres().pendingRestart() ? 1 : 0);
    gauge(
        registry,
        "regent.ha.paused",
        "1 in maintenance mode",
        loop,
        f -> f.snapshot().paused() ? 1 : 0);
    gauge(
        registry,
        "regent.ha.lock.ttl.remaining",
        "Seconds the leader lock lasts without " + "another renewal (0 when not held)",
        loop,
        f ->
            f.snapshot().holdsLock()
                ? Math.max(
                    0,
                    loop.ttlSeconds() - (System.nanoTime() - f.snapshot().completedAtNanos()) / 1e9)
                : 0);
    gauge(
        registry,
        "regent.ha.loop.last.cycle.age",
        "Seconds since the HA loop last completed a " + "cycle",
        loop,
        f -> (System.nanoTime() - f.snapshot().completedAtNanos()) / 1e9);
    registerLag(registry, loop);
  }

  /** Replication lag in bytes per member, behind the store's status optime. */
  private static void registerLag(MeterRegistry registry, HaLoop loop) {
    Set<String> known = ConcurrentHashMap.newKeySet();
    Runnable refresh =
        () -> {
          loop.snapshot()
              .flatMap(AgentSnapshot::view)
              .ifPresent(
                  v ->
                      v.members()
                          .keySet()
                          .forEach(
                              name -> {
                                if (known.add(name)) {
                                  Gauge.builder("regent.replication.lag", loop, l -> lag(l, name))
                                      .description(
                                          "Bytes a member's WAL position is behind the leader's last known "
                                              + "position")
                                      .baseUnit("bytes")
                                      .tag("member", name)
                                      .register(registry);
                                }
                              }));
        };
    refresh.run();
    // members seen later are added on the next scrape of any gauge
    Gauge.builder(
            "regent.cluster.members",
            loop,
            l -> {
              refresh.run();
              return l.snapshot()
                  .flatMap(AgentSnapshot::view)
                  .map(v -> v.members().size())
                  .orElse(0);
            })
        .description("Members registered in the store")
        .register(registry);
  }

  private static double lag(HaLoop loop, String name) {
    Optional<ClusterView> view = loop.snapshot().flatMap(AgentSnapshot::view);
    if (view.isEmpty() || view.get().isLockedBy(name)) {
      return 0;
    }
    long optime = view.get().status().map(Status::optime).orElse(0L);
    Optional<Long> position = view.get().member(name).flatMap(Member::xlogLocation);
    if (optime <= 0 || position.isEmpty()) {
      return Double.NaN;
    }
    return Math.max(0, optime - position.get());
  }

  private static void gauge(
      MeterRegistry registry,
      String name,
      String description,
      HaLoop loop,
      ToDoubleFunction<HealthRules.Facts> value,
      String... tags) {
    Gauge.builder(
            name,
            loop,
            l ->
                l.snapshot()
                    .map(
                        s ->
                            value.applyAsDouble(
                                new HealthRules.Facts(s, l.config().name(), l.config().tags())))
                    .orElse(Double.NaN))
        .description(description)
        .tags(tags)
        .register(registry);
  }
}
