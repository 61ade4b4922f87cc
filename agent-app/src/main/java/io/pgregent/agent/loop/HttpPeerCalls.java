package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.ha.PeerStatus;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/** The members' REST APIs over HTTP, with the member-to-member client ({@link MemberHttp}). */
public final class HttpPeerCalls implements PeerCalls {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final PeerClient peers;
  private final FailsafeClient failsafe;

  /** Builds the client now, not on first use: the first use is the leader race. */
  public HttpPeerCalls(AgentConfig config) {
    HttpClient http = MemberHttp.client(config.properties(), TIMEOUT);
    this.peers = new PeerClient(TIMEOUT, () -> http);
    this.failsafe =
        new FailsafeClient(
            TIMEOUT, () -> http, config.restapi().username(), config.restapi().password());
  }

  @Override
  public Map<String, PeerStatus> query(Collection<Member> members) {
    return peers.query(members);
  }

  @Override
  public boolean allAcceptFailsafe(
      String self,
      String connUrl,
      String apiUrl,
      Map<String, String> members,
      Map<String, Long> slots,
      Map<String, Long> lsns) {
    return failsafe.allAccept(self, connUrl, apiUrl, members, slots, lsns);
  }

  @Override
  public void warmUp(String ownApiUrl) {
    peers.warmUp(ownApiUrl);
  }
}
