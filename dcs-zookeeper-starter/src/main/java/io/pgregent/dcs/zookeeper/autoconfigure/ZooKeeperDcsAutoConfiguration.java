package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.autoconfigure.ConditionalOnDcsSection;
import io.pgregent.dcs.autoconfigure.DcsTargets;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Picks ZooKeeper as the store when the configuration has a {@code zookeeper:} section. The client
 * is built here but connects only when the HA loop first uses it.
 */
@AutoConfiguration
@ConditionalOnDcsSection(
    value = "zookeeper",
    clientClass = "org.apache.curator.framework.CuratorFramework")
@EnableConfigurationProperties(ZooKeeperProperties.class)
public class ZooKeeperDcsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(Dcs.class)
  public ZooKeeperDcs zooKeeperDcs(ZooKeeperProperties properties, Environment environment) {
    return new ZooKeeperDcsFactory().open(properties, DcsTargets.from(environment));
  }
}
