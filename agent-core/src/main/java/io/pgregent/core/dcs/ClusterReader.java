package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterView;

/** Reads the whole cluster from the store. */
public interface ClusterReader {

  /**
   * Reads every key of the cluster in one consistent request where the store allows it.
   *
   * @return the view; absent keys are empty, malformed ones are absent and listed
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  ClusterView read();

  /** The member name this client writes as. */
  String memberName();

  /** Where the cluster's keys live. */
  ClusterPath path();
}
