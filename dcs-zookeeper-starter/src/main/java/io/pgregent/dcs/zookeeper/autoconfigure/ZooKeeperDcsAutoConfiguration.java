package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsSections;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * Picks ZooKeeper as the store when the configuration has a {@code zookeeper:} section. The client
 * is built here but connects only when the HA loop first uses it.
 */
@AutoConfiguration
@ConditionalOnClass(name = "org.apache.curator.framework.CuratorFramework")
@Conditional(OnZooKeeperSectionCondition.class)
@EnableConfigurationProperties(ZooKeeperProperties.class)
public class ZooKeeperDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public ZooKeeperDcs zooKeeperDcs(ZooKeeperProperties properties, Environment environment) {
    DcsSections.Identity id = DcsSections.identity(environment::getProperty);
    return new ZooKeeperDcs(properties.toSettings(), id.path(), id.member(), id.timings());
  }
}
