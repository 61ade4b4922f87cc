package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.BindingDcsFactory;
import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsScheduler;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** Opens ZooKeeper from Patroni's {@code zookeeper:} section. */
public final class ZooKeeperDcsFactory extends BindingDcsFactory<ZooKeeperProperties> {

  static final String SECTION = "zookeeper";

  public ZooKeeperDcsFactory() {
    super(SECTION, ZooKeeperProperties::new);
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("hosts", List.of(DcsFactory.hostPort(url, -1)));
  }

  @Override
  public ZooKeeperDcs open(ZooKeeperProperties properties, DcsTarget target) {
    return new ZooKeeperDcs(
        properties.toSettings(),
        target.path(),
        target.member(),
        target.timings(),
        DcsScheduler.of(target, "zookeeper-loop-watchdog-" + target.member()));
  }
}
