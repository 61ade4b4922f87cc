package io.pgregent.core.ha;

/**
 * What another member's REST API answered during the leader race ({@code GET /patroni}).
 *
 * @param name the member
 * @param reachable false when it did not answer in time
 * @param primary true when it reports itself a running primary
 * @param walPosition its received/replayed (replica) or current (primary) LSN
 * @param timeline its timeline
 * @param nofailover it may never become leader ({@code nofailover}, or without it a {@code
 *     failover_priority} of 0 or less)
 * @param failoverPriority its rank at equal WAL position (default 1)
 */
public record PeerStatus(
    String name,
    boolean reachable,
    boolean primary,
    long walPosition,
    long timeline,
    boolean nofailover,
    int failoverPriority) {

  public static PeerStatus unreachable(String name) {
    return new PeerStatus(name, false, false, 0, 0, false, 1);
  }

  /** Whether the member could become leader at all. */
  public boolean eligible() {
    return !nofailover;
  }
}
