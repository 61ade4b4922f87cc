package io.pgregent.dcs.autoconfigure;

import io.pgregent.core.dcs.DcsSections;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/** The condition behind {@link ConditionalOnDcsSection}. */
class OnDcsSectionCondition extends SpringBootCondition {

  private static final Set<String> IGNORED =
      Set.of(
          StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
          StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    Map<String, Object> attributes =
        metadata.getAnnotationAttributes(ConditionalOnDcsSection.class.getName());
    String section = (String) attributes.get("value");
    String client = (String) attributes.get("clientClass");
    if (!client.isEmpty() && !ClassUtils.isPresent(client, context.getClassLoader())) {
      return ConditionOutcome.noMatch(section + " client " + client + " not on the class path");
    }
    List<String> names = new ArrayList<>();
    if (context.getEnvironment() instanceof ConfigurableEnvironment env) {
      env.getPropertySources()
          .forEach(
              source -> {
                if (source instanceof EnumerablePropertySource<?> e
                    && !IGNORED.contains(source.getName())) {
                  names.addAll(List.of(e.getPropertyNames()));
                }
              });
    }
    return DcsSections.selects(section, names)
        ? ConditionOutcome.match(section + " section present")
        : ConditionOutcome.noMatch("no " + section + " section");
  }
}
