package io.pgregent.dcs.etcd.autoconfigure;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsSections;
import io.pgregent.dcs.etcd.EtcdDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * Picks etcd v3 as the store when the configuration has an {@code etcd3:} section. The client is
 * built here but connects only when the HA loop first uses it.
 */
@AutoConfiguration
@ConditionalOnClass(Client.class)
@Conditional(OnEtcd3SectionCondition.class)
@EnableConfigurationProperties(EtcdProperties.class)
public class EtcdDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public EtcdDcs etcdDcs(EtcdProperties properties, Environment environment) {
    DcsSections.Identity id = DcsSections.identity(environment::getProperty);
    return new EtcdDcs(properties.toSettings(), id.path(), id.member(), id.timings());
  }
}
