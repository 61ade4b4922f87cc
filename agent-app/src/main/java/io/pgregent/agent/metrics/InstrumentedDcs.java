package io.pgregent.agent.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.ForwardingDcs;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The store client with every request timed ({@code regent.dcs.requests}, tags {@code operation}
 * and {@code outcome}), leader changes counted ({@code regent.ha.leader.changes}) and the HA loop's
 * cycles timed ({@code regent.ha.loop.duration}: from a cycle's store read to its published
 * snapshot). Behaviour is the delegate's, unchanged.
 */
final class InstrumentedDcs extends ForwardingDcs {

  private final Supplier<MeterRegistry> registry;
  private final LongSupplier lastSnapshotNanos;
  private volatile String lastLeader;
  private long loopReadStartedNanos;
  // Meters are looked up once: every loop cycle makes several requests.
  private final Map<String, Timer> requestTimers = new ConcurrentHashMap<>();
  private volatile Timer loopTimer;

  InstrumentedDcs(Dcs delegate, Supplier<MeterRegistry> registry, LongSupplier lastSnapshotNanos) {
    super(delegate);
    this.registry = registry;
    this.lastSnapshotNanos = lastSnapshotNanos;
  }

  private <T> T timed(String operation, Supplier<T> call) {
    long start = System.nanoTime();
    String outcome = "error";
    try {
      T result = call.get();
      outcome = "success";
      return result;
    } finally {
      MeterRegistry r = registry.get();
      if (r != null) {
        String o = outcome;
        requestTimers
            .computeIfAbsent(
                operation + '/' + o,
                k ->
                    Timer.builder("regent.dcs.requests")
                        .description("Requests to the store")
                        .tag("operation", operation)
                        .tag("outcome", o)
                        .register(r))
            .record(Duration.ofNanos(System.nanoTime() - start));
      }
    }
  }

  private void timedRun(String operation, Runnable call) {
    timed(
        operation,
        () -> {
          call.run();
          return null;
        });
  }

  @Override
  public ClusterView read() {
    long start = System.nanoTime();
    if (Thread.currentThread().getName().startsWith("ha-loop-")) {
      loopCycleBoundary(start);
    }
    ClusterView view = timed("read", delegate()::read);
    String leader = view.leader().map(Leader::name).orElse(null);
    String previous = lastLeader;
    if (leader != null && previous != null && !leader.equals(previous)) {
      MeterRegistry r = registry.get();
      if (r != null) {
        r.counter("regent.ha.leader.changes").increment();
      }
    }
    if (leader != null) {
      lastLeader = leader;
    }
    return view;
  }

  /** A loop cycle starts with a read: the previous one ran from its read to its snapshot. */
  private void loopCycleBoundary(long now) {
    long previousStart = loopReadStartedNanos;
    long completed = lastSnapshotNanos.getAsLong();
    if (previousStart != 0 && completed > previousStart && completed <= now) {
      Timer timer = loopTimer;
      MeterRegistry r = timer == null ? registry.get() : null;
      if (r != null) {
        timer =
            Timer.builder("regent.ha.loop.duration")
                .description("HA loop cycles, from the store read to the published snapshot")
                .register(r);
        loopTimer = timer;
      }
      if (timer != null) {
        timer.record(Duration.ofNanos(completed - previousStart));
      }
    }
    loopReadStartedNanos = now;
  }

  @Override
  public boolean tryAcquire() {
    return timed("tryAcquire", delegate()::tryAcquire);
  }

  @Override
  public boolean refresh(boolean mayRecreate) {
    return timed("refresh", () -> delegate().refresh(mayRecreate));
  }

  @Override
  public boolean release() {
    return timed("release", delegate()::release);
  }

  @Override
  public boolean renewSession() {
    return timed("renewSession", delegate()::renewSession);
  }

  @Override
  public void touchMember(Member member) {
    timedRun("touchMember", () -> delegate().touchMember(member));
  }

  @Override
  public void deleteMember() {
    timedRun("deleteMember", delegate()::deleteMember);
  }

  @Override
  public boolean compareAndSet(ClusterKey key, long expectedVersion, String value) {
    return timed("compareAndSet", () -> delegate().compareAndSet(key, expectedVersion, value));
  }

  @Override
  public void put(ClusterKey key, String value) {
    timedRun("put", () -> delegate().put(key, value));
  }

  @Override
  public boolean compareAndDelete(ClusterKey key, long expectedVersion) {
    return timed("compareAndDelete", () -> delegate().compareAndDelete(key, expectedVersion));
  }

  @Override
  public String toString() {
    return "Instrumented[" + Objects.toString(delegate()) + "]";
  }
}
