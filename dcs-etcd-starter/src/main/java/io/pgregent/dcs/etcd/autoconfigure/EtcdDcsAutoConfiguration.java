package io.pgregent.dcs.etcd.autoconfigure;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.autoconfigure.ConditionalOnDcsSection;
import io.pgregent.dcs.autoconfigure.DcsTargets;
import io.pgregent.dcs.etcd.EtcdDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Picks etcd v3 as the store when the configuration has an {@code etcd3:} section. The client is
 * built here but connects only when the HA loop first uses it.
 */
@AutoConfiguration
@ConditionalOnDcsSection(value = "etcd3", clientClass = "io.etcd.jetcd.Client")
@EnableConfigurationProperties(EtcdProperties.class)
public class EtcdDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public EtcdDcs etcdDcs(EtcdProperties properties, Environment environment) {
    return new EtcdDcsFactory().open(properties, DcsTargets.from(environment));
  }
}
