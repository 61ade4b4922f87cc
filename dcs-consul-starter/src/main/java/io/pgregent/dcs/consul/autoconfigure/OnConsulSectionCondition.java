package io.pgregent.dcs.consul.autoconfigure;

import io.pgregent.core.dcs.DcsSections;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when the configuration has a {@code consul:} section and no other store section. */
class OnConsulSectionCondition extends SpringBootCondition {

  private static final java.util.Set<String> IGNORED =
      java.util.Set.of(
          StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
          StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<String> names = new ArrayList<>();
    if (context.getEnvironment() instanceof ConfigurableEnvironment env) {
      env.getPropertySources()
          .forEach(
              source -> {
                // JVM system properties and the environment are not configuration sections:
                // ZooKeeper's own libraries read -Dzookeeper.* properties, for one.
                if (source instanceof EnumerablePropertySource<?> e
                    && !IGNORED.contains(source.getName())) {
                  names.addAll(List.of(e.getPropertyNames()));
                }
              });
    }
    return DcsSections.selects("consul", names)
        ? ConditionOutcome.match("consul section present")
        : ConditionOutcome.noMatch("no consul section");
  }
}
