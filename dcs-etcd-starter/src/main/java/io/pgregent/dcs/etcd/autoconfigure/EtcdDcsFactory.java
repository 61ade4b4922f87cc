package io.pgregent.dcs.etcd.autoconfigure;

import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.core.dcs.SectionBinder;
import io.pgregent.dcs.etcd.EtcdDcs;
import java.net.URI;
import java.util.Map;

/** Opens etcd v3 from Patroni's {@code etcd3:} section. */
public final class EtcdDcsFactory implements DcsFactory {

  static final String SECTION = "etcd3";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("hosts", DcsFactory.hostPort(url, 2379));
  }

  @Override
  public EtcdDcs create(Map<String, Object> section, DcsTarget target) {
    return create(SectionBinder.bind(SECTION, section, new EtcdProperties()), target);
  }

  /** The client for a section already bound (by Spring, or by {@link SectionBinder}). */
  public static EtcdDcs create(EtcdProperties properties, DcsTarget target) {
    return new EtcdDcs(properties.toSettings(), target.path(), target.member(), target.timings());
  }
}
