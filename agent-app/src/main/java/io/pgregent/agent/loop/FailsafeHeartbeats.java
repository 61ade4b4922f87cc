package io.pgregent.agent.loop;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The last time a primary in failsafe mode told this member it is alive ({@code POST /failsafe}),
 * handed from the REST API to the HA loop; and whether this member races for or holds the leader
 * lock, in which case it must refuse such a heartbeat.
 *
 * <p>Accepting a heartbeat promises the primary to keep out of the leader race, so the two are
 * decided under one lock: a heartbeat accepted before the loop claims the race stops the claim, and
 * once the claim is made every heartbeat is refused (the primary then demotes).
 */
public final class FailsafeHeartbeats {

  private long lastNanos = Long.MIN_VALUE;
  private boolean claimed;

  /** What {@code POST /failsafe} answers: 200 with this member's WAL position, or a refusal. */
  public record Answer(int status, String body, OptionalLong lsn) {
    public boolean accepted() {
      return status == 200;
    }
  }

  /**
   * Answers a failsafe primary's heartbeat received at {@code nanos}, with its slot positions,
   * given this member's last snapshot: refused while this member holds the lock or runs a primary,
   * races for the lock or just took it (accepting would let two primaries run); else recorded.
   */
  public Answer answer(Optional<AgentSnapshot> snapshot, long nanos, Map<String, Long> slots) {
    // Patroni answers 500 to a leader's refusal; any answer but 200 is a refusal to its primary,
    // and a refusal is no server error.
    if (snapshot.map(s -> s.holdsLock() || s.runningPrimary()).orElse(false) || !accept(nanos)) {
      return new Answer(409, "Running as a leader", OptionalLong.empty());
    }
    slots(slots);
    return new Answer(
        200,
        "Accepted",
        snapshot
            .flatMap(s -> s.postgres().server())
            .map(server -> OptionalLong.of(Math.max(server.receiveLsn(), server.replayLsn())))
            .orElse(OptionalLong.empty()));
  }

  /**
   * A primary's heartbeat arrived at {@code nanos}: recorded, and true, unless this member races
   * for or holds the leader lock.
   */
  public synchronized boolean accept(long nanos) {
    if (claimed) {
      return false;
    }
    lastNanos = nanos;
    return true;
  }

  /**
   * Right before this member tries to take the leader lock: false, claiming nothing, if a heartbeat
   * accepted within {@code validNanos} of {@code nanos} promised the primary to keep out of the
   * race.
   */
  public synchronized boolean claim(long nanos, long validNanos) {
    if (lastNanos != Long.MIN_VALUE && nanos - lastNanos < validNanos) {
      return false;
    }
    claimed = true;
    return true;
  }

  /** At the end of each cycle: the claim lasts as long as this member holds the lock. */
  public synchronized void holdsLock(boolean held) {
    claimed = held;
  }

  /** The slot positions the primary sent with its last accepted heartbeat. */
  private java.util.Map<String, Long> slots = java.util.Map.of();

  /** Records the slot positions of a heartbeat just accepted. */
  public synchronized void slots(java.util.Map<String, Long> positions) {
    slots = java.util.Map.copyOf(positions);
  }

  public synchronized java.util.Map<String, Long> slots() {
    return slots;
  }

  public synchronized OptionalLong last() {
    return lastNanos == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(lastNanos);
  }
}
