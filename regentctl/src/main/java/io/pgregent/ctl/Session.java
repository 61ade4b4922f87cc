package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTarget;
import io.pgregent.core.dcs.DcsTimings;
import java.time.Duration;

/** One cluster in the store, opened for the length of a command. */
final class Session implements AutoCloseable {

  /** The name regentctl's own store client goes by; it never writes a member key. */
  static final String CLIENT_NAME = "regentctl";

  private final CtlSettings settings;
  private final ClusterPath path;
  private final Dcs dcs;

  Session(CtlSettings settings, String scope) {
    this.settings = settings;
    try {
      this.path = ClusterPath.of(settings.namespace(), scope);
    } catch (IllegalArgumentException e) {
      throw new CtlException("cluster name: " + e.getMessage());
    }
    this.dcs = open(CLIENT_NAME);
  }

  /** A client writing as {@code member}: used to delete another member's key. */
  Dcs open(String member) {
    DcsTimings timings = new DcsTimings(Duration.ofSeconds(30), settings.retryTimeout());
    return Stores.open(
        settings.store(), settings.storeSection(), new DcsTarget(path, member, timings));
  }

  String scope() {
    return path.scope();
  }

  ClusterPath path() {
    return path;
  }

  Dcs dcs() {
    return dcs;
  }

  ClusterView read() {
    return dcs.read();
  }

  /** The cluster as the listing shows it, read now. */
  ClusterState state() {
    return new ClusterState(scope(), read());
  }

  CtlSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    dcs.close();
  }
}
