package io.pgregent.agent.rest;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import java.time.Duration;

/** A real store client passed through, so a test can add a concurrent writer around one call. */
class DelegatingDcs implements Dcs {

  final Dcs delegate;

  DelegatingDcs(Dcs delegate) {
    this.delegate = delegate;
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
  public java.time.Duration leaseDuration() {
    return delegate.leaseDuration();
  }

  @Override
  public void close() {
    // owned by the agent
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
  public boolean tryAcquire() {
    return delegate.tryAcquire();
  }

  @Override
  public boolean refresh() {
    return delegate.refresh();
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
