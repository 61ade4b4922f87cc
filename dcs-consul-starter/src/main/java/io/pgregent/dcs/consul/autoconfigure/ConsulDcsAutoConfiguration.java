package io.pgregent.dcs.consul.autoconfigure;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.autoconfigure.ConditionalOnDcsSection;
import io.pgregent.dcs.autoconfigure.DcsTargets;
import io.pgregent.dcs.consul.ConsulDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Picks Consul as the store when the configuration has a {@code consul:} section. The client is
 * built here but talks to Consul only when the HA loop first uses it. Closing it deregisters the
 * member's service, when it registered one.
 */
@AutoConfiguration
@ConditionalOnDcsSection(value = "consul", clientClass = "com.ecwid.consul.v1.ConsulRawClient")
@EnableConfigurationProperties(ConsulProperties.class)
public class ConsulDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public ConsulDcs consulDcs(ConsulProperties properties, Environment environment) {
    return new ConsulDcsFactory().open(properties, DcsTargets.from(environment));
  }
}
