package io.pgregent.core.dcs;

import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A {@link DcsFactory} whose section binds onto a properties object (with {@link SectionBinder}, as
 * Spring binds the same object in the agent) before the client is built from it.
 *
 * @param <P> the store's properties
 */
public abstract class BindingDcsFactory<P> implements DcsFactory {

  private final String section;
  private final Supplier<P> defaults;

  /**
   * @param section the store's section in Patroni's YAML
   * @param defaults a new properties object holding the defaults
   */
  protected BindingDcsFactory(String section, Supplier<P> defaults) {
    this.section = Objects.requireNonNull(section);
    this.defaults = Objects.requireNonNull(defaults);
  }

  @Override
  public final String section() {
    return section;
  }

  @Override
  public Dcs create(Map<String, Object> values, DcsTarget target) {
    return open(SectionBinder.bind(section, values, defaults.get()), target);
  }

  /**
   * The client for a section already bound (by Spring, or here); it connects at its first
   * operation, and its background work runs on the target's scheduler or on a thread of its own.
   */
  public abstract Dcs open(P properties, DcsTarget target);
}
