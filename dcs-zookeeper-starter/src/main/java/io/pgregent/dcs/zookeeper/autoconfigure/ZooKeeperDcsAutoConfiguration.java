package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsSections;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import java.time.Duration;
import java.util.function.Function;
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
    Function<String, String> property = environment::getProperty;
    Duration retry = properties.getRetryTimeout();
    if (retry != null) {
      if (retry.isNegative() || retry.isZero()) {
        throw new IllegalArgumentException("zookeeper.retry_timeout: must be positive: " + retry);
      }
      // in place of bootstrap.dcs.retry_timeout, so that it is fitted to ttl the same way
      String seconds = String.valueOf(Math.max(1, retry.toSeconds()));
      property =
          key -> key.equals("bootstrap.dcs.retry_timeout") ? seconds : environment.getProperty(key);
    }
    DcsSections.Identity id = DcsSections.identity(property);
    return new ZooKeeperDcs(properties.toSettings(), id.path(), id.member(), id.timings());
  }
}
