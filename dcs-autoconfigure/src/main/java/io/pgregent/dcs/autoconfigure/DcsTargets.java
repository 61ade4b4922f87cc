package io.pgregent.dcs.autoconfigure;

import io.pgregent.core.dcs.DcsTarget;
import org.springframework.core.env.Environment;

/** The store target the auto-configurations hand to their {@code DcsFactory}. */
public final class DcsTargets {

  private DcsTargets() {}

  /**
   * Scope, namespace, name and the bootstrap timings from the environment's top-level keys.
   *
   * @throws IllegalArgumentException naming the key when one is missing or invalid
   */
  public static DcsTarget from(Environment environment) {
    return DcsTarget.of(environment::getProperty);
  }
}
