package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterView;
import java.util.Objects;

/**
 * What every store's {@link Dcs} shares: the member it speaks for, the cluster's path, the timings
 * in force, and the rule that a member key someone else deleted (patronictl remove) is written
 * again at the next touch.
 */
public abstract class StoreDcs implements Dcs {

  protected final ClusterPath path;
  protected final String member;
  private volatile DcsTimings timings;

  protected StoreDcs(ClusterPath path, String member, DcsTimings timings) {
    this.path = Objects.requireNonNull(path, "path");
    this.member = Objects.requireNonNull(member, "member");
    this.timings = Objects.requireNonNull(timings, "timings");
  }

  @Override
  public final String memberName() {
    return member;
  }

  @Override
  public final ClusterPath path() {
    return path;
  }

  @Override
  public final DcsTimings timings() {
    return timings;
  }

  @Override
  public final void setTimings(DcsTimings timings) {
    this.timings = Objects.requireNonNull(timings, "timings");
    timingsChanged(timings);
  }

  /** New timings are in force: e.g. a retry's deadline follows retry_timeout. */
  protected void timingsChanged(DcsTimings timings) {}

  /** {@code view}, our member key's last value forgotten when the key is no longer there. */
  protected final ClusterView keepingMemberKey(ClusterView view) {
    if (view.member(member).isEmpty()) {
      forgetMemberValue();
    }
    return view;
  }

  /** The next touch writes our member key again, whatever value it wrote last. */
  protected abstract void forgetMemberValue();
}
