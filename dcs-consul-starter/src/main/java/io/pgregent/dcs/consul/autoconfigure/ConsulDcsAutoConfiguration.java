package io.pgregent.dcs.consul.autoconfigure;

import com.ecwid.consul.v1.ConsulRawClient;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsSections;
import io.pgregent.dcs.consul.ConsulDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * Picks Consul as the store when the configuration has a {@code consul:} section. The client is
 * built here but talks to Consul only when the HA loop first uses it. Closing it deregisters the
 * member's service, when it registered one.
 */
@AutoConfiguration
@ConditionalOnClass(ConsulRawClient.class)
@Conditional(OnConsulSectionCondition.class)
@EnableConfigurationProperties(ConsulProperties.class)
public class ConsulDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public ConsulDcs consulDcs(ConsulProperties properties, Environment environment) {
    DcsSections.Identity id = DcsSections.identity(environment::getProperty);
    return new ConsulDcs(properties.toSettings(), id.path(), id.member(), id.timings());
  }
}
