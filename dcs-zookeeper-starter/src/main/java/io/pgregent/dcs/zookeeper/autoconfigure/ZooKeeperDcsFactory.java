package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.core.dcs.SectionBinder;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** Opens ZooKeeper from Patroni's {@code zookeeper:} section. */
public final class ZooKeeperDcsFactory implements DcsFactory {

  static final String SECTION = "zookeeper";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("hosts", List.of(DcsFactory.hostPort(url, -1)));
  }

  @Override
  public ZooKeeperDcs create(Map<String, Object> section, DcsTarget target) {
    return create(SectionBinder.bind(SECTION, section, new ZooKeeperProperties()), target);
  }

  /**
   * The client for a section already bound (by Spring, or by {@link SectionBinder}). Its loop
   * watchdog runs on the target's scheduler, or on a thread of its own.
   */
  public static ZooKeeperDcs create(ZooKeeperProperties properties, DcsTarget target) {
    return new ZooKeeperDcs(
        properties.toSettings(),
        target.path(),
        target.member(),
        target.timings(),
        target.scheduler().orElse(null));
  }
}
