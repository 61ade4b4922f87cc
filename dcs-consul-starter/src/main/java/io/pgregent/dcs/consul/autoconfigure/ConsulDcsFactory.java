package io.pgregent.dcs.consul.autoconfigure;

import io.pgregent.core.dcs.BindingDcsFactory;
import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsScheduler;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.dcs.consul.ConsulDcs;
import java.net.URI;
import java.util.Map;

/** Opens Consul from Patroni's {@code consul:} section. */
public final class ConsulDcsFactory extends BindingDcsFactory<ConsulProperties> {

  static final String SECTION = "consul";

  public ConsulDcsFactory() {
    super(SECTION, ConsulProperties::new);
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("host", DcsFactory.hostPort(url, 8500));
  }

  @Override
  public ConsulDcs open(ConsulProperties properties, DcsTarget target) {
    return new ConsulDcs(
        properties.toSettings(),
        target.path(),
        target.member(),
        target.timings(),
        DcsScheduler.of(target, "consul-watch"));
  }
}
