package io.pgregent.core.dcs;

import java.time.Duration;
import java.util.Optional;

/**
 * The {@code ttl}, {@code loop_wait} and {@code retry_timeout} in force, in seconds, derived from
 * what the configuration says. Regent's minimums apply first; then, as Patroni does, values that
 * break {@code loop_wait + 2 × retry_timeout ≤ ttl} are adjusted rather than refused: {@code
 * loop_wait} is lowered first, and {@code retry_timeout} only when {@code loop_wait} is already at
 * its minimum. The stored configuration keeps what was written; only the values in force change.
 *
 * @param ttl the leader lock's lifetime
 * @param loopWait the pause between HA cycles
 * @param retryTimeout how long store and PostgreSQL operations retry
 * @param warning Patroni's wording of the adjustment, empty when nothing was adjusted for the rule
 */
public record Timings(int ttl, int loopWait, int retryTimeout, Optional<String> warning) {

  public static final int MIN_TTL = 5;
  public static final int MIN_LOOP_WAIT = 1;
  public static final int MIN_RETRY_TIMEOUT = 1;

  /** Patroni's minimums: members running Patroni raise values below these. */
  public static final int PATRONI_MIN_TTL = 20;

  public static final int PATRONI_MIN_RETRY_TIMEOUT = 3;

  public static final int DEFAULT_TTL = 30;
  public static final int DEFAULT_LOOP_WAIT = 10;
  public static final int DEFAULT_RETRY_TIMEOUT = 10;

  public Timings {
    warning = warning == null ? Optional.empty() : warning;
  }

  /** Patroni's defaults: ttl 30, loop_wait 10, retry_timeout 10. */
  public static Timings defaults() {
    return adjust(DEFAULT_TTL, DEFAULT_LOOP_WAIT, DEFAULT_RETRY_TIMEOUT);
  }

  /**
   * The values in force for the values written: each raised to Regent's minimum, then fitted to
   * {@code loop_wait + 2 × retry_timeout ≤ ttl}.
   */
  public static Timings adjust(long ttl, long loopWait, long retryTimeout) {
    int t = clamp(ttl, MIN_TTL);
    int lw = clamp(loopWait, MIN_LOOP_WAIT);
    int rt = clamp(retryTimeout, MIN_RETRY_TIMEOUT);
    if (MIN_LOOP_WAIT + 2L * rt > t) {
      int fitted = (t - MIN_LOOP_WAIT) / 2;
      return new Timings(
          t,
          MIN_LOOP_WAIT,
          fitted,
          Optional.of(
              "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl="
                  + t
                  + ". Adjusting loop_wait from "
                  + lw
                  + " to "
                  + MIN_LOOP_WAIT
                  + " and retry_timeout from "
                  + rt
                  + " to "
                  + fitted));
    }
    if (lw + 2L * rt > t) {
      int fitted = t - 2 * rt;
      return new Timings(
          t,
          fitted,
          rt,
          Optional.of(
              "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl="
                  + t
                  + " and retry_timeout="
                  + rt
                  + ". Adjusting loop_wait from "
                  + lw
                  + " to "
                  + fitted));
    }
    return new Timings(t, lw, rt, Optional.empty());
  }

  /** What a store client works to. */
  public DcsTimings dcsTimings() {
    return new DcsTimings(Duration.ofSeconds(ttl), Duration.ofSeconds(retryTimeout));
  }

  private static int clamp(long value, int min) {
    return (int) Math.max(min, Math.min(Integer.MAX_VALUE / 4, value));
  }
}
