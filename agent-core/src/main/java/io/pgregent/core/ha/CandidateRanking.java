package io.pgregent.core.ha;

import java.util.Collection;
import java.util.Optional;

/** Is this member the healthiest of those that answered? Pure. */
public final class CandidateRanking {

  private CandidateRanking() {}

  /**
   * True unless a reachable member is still a primary, or an eligible member is ahead of us in WAL,
   * or level with us and of higher failover priority.
   */
  public static boolean isHealthiest(
      long myWalPosition, int myPriority, Collection<PeerStatus> peers) {
    return outranked(myWalPosition, myPriority, peers).isEmpty();
  }

  /** Not the healthiest while a reachable member still runs as a primary. */
  public static Optional<Decision> anotherPrimary(Collection<PeerStatus> peers) {
    for (PeerStatus p : peers) {
      if (p.reachable() && p.primary()) {
        return Optional.of(Decision.of(new Action.None(), Reason.NOT_HEALTHIEST));
      }
    }
    return Optional.empty();
  }

  /**
   * Why this member is not the healthiest, naming the first member that outranks it (operators read
   * who won and why), or empty when none does.
   */
  public static Optional<Decision> outranked(
      long myWalPosition, int myPriority, Collection<PeerStatus> peers) {
    Optional<Decision> primary = anotherPrimary(peers);
    if (primary.isPresent()) {
      return primary;
    }
    for (PeerStatus p : peers) {
      if (!p.reachable() || !p.eligible()) {
        continue;
      }
      if (p.walPosition() > myWalPosition) {
        return Optional.of(Decision.of(new Action.None(), Reason.PEER_WAL_AHEAD, p.name()));
      }
      if (p.walPosition() == myWalPosition && p.failoverPriority() > myPriority) {
        return Optional.of(
            Decision.of(
                new Action.None(),
                Reason.PEER_HIGHER_PRIORITY,
                p.name(),
                Integer.toString(p.failoverPriority()),
                Integer.toString(myPriority)));
      }
    }
    return Optional.empty();
  }
}
