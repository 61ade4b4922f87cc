package io.pgregent.core.ha;

import java.util.Collection;

/** Is this member the healthiest of those that answered? Pure. */
public final class CandidateRanking {

  private CandidateRanking() {}

  /**
   * True unless a reachable member is still a primary, or an eligible member is ahead of us in WAL,
   * or level with us and of higher failover priority.
   */
  public static boolean isHealthiest(
      long myWalPosition, int myPriority, Collection<PeerStatus> peers) {
    for (PeerStatus p : peers) {
      if (!p.reachable()) {
        continue;
      }
      if (p.primary()) {
        return false;
      }
      if (!p.eligible()) {
        continue;
      }
      if (p.walPosition() > myWalPosition) {
        return false;
      }
      if (p.walPosition() == myWalPosition && p.failoverPriority() > myPriority) {
        return false;
      }
    }
    return true;
  }
}
