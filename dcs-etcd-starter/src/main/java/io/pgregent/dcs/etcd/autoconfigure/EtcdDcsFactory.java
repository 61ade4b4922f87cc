package io.pgregent.dcs.etcd.autoconfigure;

import io.pgregent.core.dcs.BindingDcsFactory;
import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.dcs.etcd.EtcdDcs;
import java.net.URI;
import java.util.Map;

/** Opens etcd v3 from Patroni's {@code etcd3:} section. */
public final class EtcdDcsFactory extends BindingDcsFactory<EtcdProperties> {

  static final String SECTION = "etcd3";

  public EtcdDcsFactory() {
    super(SECTION, EtcdProperties::new);
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("hosts", DcsFactory.hostPort(url, 2379));
  }

  @Override
  public EtcdDcs open(EtcdProperties properties, DcsTarget target) {
    return new EtcdDcs(properties.toSettings(), target.path(), target.member(), target.timings());
  }
}
