package io.pgregent.dcs.consul.autoconfigure;

import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.core.dcs.SectionBinder;
import io.pgregent.dcs.consul.ConsulDcs;
import java.net.URI;
import java.util.Map;

/** Opens Consul from Patroni's {@code consul:} section. */
public final class ConsulDcsFactory implements DcsFactory {

  static final String SECTION = "consul";

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("host", DcsFactory.hostPort(url, 8500));
  }

  @Override
  public ConsulDcs create(Map<String, Object> section, DcsTarget target) {
    return create(SectionBinder.bind(SECTION, section, new ConsulProperties()), target);
  }

  /** The client for a section already bound (by Spring, or by {@link SectionBinder}). */
  public static ConsulDcs create(ConsulProperties properties, DcsTarget target) {
    return new ConsulDcs(properties.toSettings(), target.path(), target.member(), target.timings());
  }
}
