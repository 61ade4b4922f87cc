package io.pgregent.agent.rest;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.ForwardingDcs;

/** A real store client passed through, so a test can add a concurrent writer around one call. */
class DelegatingDcs extends ForwardingDcs {

  final Dcs delegate;

  DelegatingDcs(Dcs delegate) {
    super(delegate);
    this.delegate = delegate;
  }

  @Override
  public void close() {
    // owned by the agent
  }
}
