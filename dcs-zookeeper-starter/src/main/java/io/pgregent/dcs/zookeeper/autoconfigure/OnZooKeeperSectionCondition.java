package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.DcsSections;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when the configuration has a {@code zookeeper:} section and no other store section. */
class OnZooKeeperSectionCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    List<String> names = new ArrayList<>();
    if (context.getEnvironment() instanceof ConfigurableEnvironment env) {
      env.getPropertySources()
          .forEach(
              source -> {
                if (source instanceof EnumerablePropertySource<?> e) {
                  names.addAll(List.of(e.getPropertyNames()));
                }
              });
    }
    return DcsSections.selects("zookeeper", names)
        ? ConditionOutcome.match("zookeeper section present")
        : ConditionOutcome.noMatch("no zookeeper section");
  }
}
