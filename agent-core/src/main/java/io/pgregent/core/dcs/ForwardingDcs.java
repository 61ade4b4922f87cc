package io.pgregent.core.dcs;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link Dcs} that passes every call to another one, for wrappers that add to a few calls
 * (metrics, tests) and keep the rest of the store's behaviour, guarantees included, unchanged.
 */
public abstract class ForwardingDcs implements Dcs {

  private final Dcs delegate;

  protected ForwardingDcs(Dcs delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The store client every call goes to. */
  public Dcs delegate() {
    return delegate;
  }

  @Override
  public ClusterView read() {
    return delegate.read();
  }

  @Override
  public String memberName() {
    return delegate.memberName();
  }

  @Override
  public ClusterPath path() {
    return delegate.path();
  }

  @Override
  public void setTimings(DcsTimings timings) {
    delegate.setTimings(timings);
  }

  @Override
  public DcsTimings timings() {
    return delegate.timings();
  }

  @Override
  public Duration leaseDuration() {
    return delegate.leaseDuration();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public boolean tryAcquire() {
    return delegate.tryAcquire();
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    return delegate.refresh(mayRecreate);
  }

  @Override
  public boolean release() {
    return delegate.release();
  }

  @Override
  public boolean renewSession() {
    return delegate.renewSession();
  }

  @Override
  public void touchMember(Member member) {
    delegate.touchMember(member);
  }

  @Override
  public void deleteMember() {
    delegate.deleteMember();
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return delegate.compareAndSet(key, expectedVersion, value);
  }

  @Override
  public void put(ClusterKey key, String value) {
    delegate.put(key, value);
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return delegate.compareAndDelete(key, expectedVersion);
  }

  @Override
  public long changeCount() {
    return delegate.changeCount();
  }

  @Override
  public boolean awaitChange(long since, Duration timeout) throws InterruptedException {
    return delegate.awaitChange(since, timeout);
  }
}
