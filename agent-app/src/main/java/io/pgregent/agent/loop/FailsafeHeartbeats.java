package io.pgregent.agent.loop;

import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last time a primary in failsafe mode told this member it is alive ({@code POST /failsafe}),
 * handed from the REST API to the HA loop.
 */
public final class FailsafeHeartbeats {

  private final AtomicLong lastNanos = new AtomicLong(Long.MIN_VALUE);

  public void record(long nanos) {
    lastNanos.set(nanos);
  }

  public OptionalLong last() {
    long v = lastNanos.get();
    return v == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(v);
  }
}
