package io.pgregent.agent.loop;

import io.pgregent.core.cluster.Member;
import io.pgregent.core.ha.PeerStatus;
import java.util.Collection;
import java.util.Map;

/**
 * The loop's calls to other members' REST APIs: the leader race's status queries and failsafe
 * mode's requests. {@link HttpPeerCalls} makes them over HTTP; a simulation passes its network.
 */
public interface PeerCalls {

  /**
   * {@code GET <api_url>} of every member at once, each bounded: a member that does not answer in
   * time is unreachable.
   */
  Map<String, PeerStatus> query(Collection<Member> members);

  /**
   * {@code POST /failsafe} to every member of {@code members} (name to {@code api_url}) at once.
   *
   * @param slots the primary's slot positions
   * @param lsns filled with the WAL position each accepting member reports
   * @return true if every one of them accepted
   */
  boolean allAcceptFailsafe(
      String self,
      String connUrl,
      String apiUrl,
      Map<String, String> members,
      Map<String, Long> slots,
      Map<String, Long> lsns);

  /** Prepares the client for the first calls (see {@link PeerClient#warmUp}). */
  default void warmUp(String ownApiUrl) {}
}
