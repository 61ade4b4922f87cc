package io.pgregent.dcs.consul;

import io.pgregent.core.dcs.DcsTimings;
import java.time.Duration;

/** The durations Consul's semantics impose, computed in one place. */
public final class ConsulTimeouts {

  /** Consul refuses session TTLs below 10 s. */
  public static final Duration MIN_SESSION_TTL = Duration.ofSeconds(10);

  /** Consul caps a blocking query's wait at 10 minutes. */
  public static final Duration MAX_WAIT = Duration.ofMinutes(10);

  /** What an answer may take on top of the wait: the network and a loaded server. */
  static final Duration ANSWER_MARGIN = Duration.ofSeconds(1);

  private ConsulTimeouts() {}

  /**
   * The session TTL for a given ttl: half of it, because Consul invalidates a session only after up
   * to twice its TTL, so that keys bound to it outlive a silent holder by at most ttl; never below
   * Consul's minimum of 10 s.
   */
  public static Duration sessionTtl(DcsTimings timings) {
    Duration half = Duration.ofMillis(timings.ttl().toMillis() / 2);
    return half.compareTo(MIN_SESSION_TTL) < 0 ? MIN_SESSION_TTL : half;
  }

  /** The session TTL as Consul reads it, e.g. {@code 15s} or {@code 12500ms}. */
  public static String goDuration(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  /** The wait of one blocking query: what the caller has left, capped at Consul's maximum. */
  public static Duration blockingWait(Duration remaining) {
    if (remaining.compareTo(MAX_WAIT) > 0) {
      return MAX_WAIT;
    }
    return remaining.toMillis() < 1
        ? Duration.ofMillis(1)
        : remaining.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  /**
   * How long to wait for the answer to a blocking query with {@code wait}: Consul adds a random
   * jitter of up to wait/16 to spread wake-ups, then the answer has to travel.
   */
  public static Duration blockingReadTimeout(Duration wait) {
    return wait.plus(jitter(wait)).plus(ANSWER_MARGIN);
  }

  /** The most jitter Consul adds to a blocking query's wait. */
  public static Duration jitter(Duration wait) {
    return Duration.ofNanos((wait.toNanos() + 15) / 16);
  }

  /**
   * How long Consul keeps a registered service whose check stays critical: ten times the session
   * TTL (five times Patroni's ttl), as Patroni registers it.
   */
  public static Duration deregisterCriticalAfter(DcsTimings timings) {
    return sessionTtl(timings).multipliedBy(10);
  }
}
