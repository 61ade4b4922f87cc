package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.logging.Critical;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Refuses to start a second agent under a name a running agent already uses: if the store has a
 * member of this name whose REST API answers, the agent stops before it listens, writes to the
 * store or touches PostgreSQL. Runs first of all lifecycles, so the REST API of this agent is not
 * yet listening and cannot answer for the other one.
 */
@Component
public class UniqueNameCheck implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(UniqueNameCheck.class);

  private final Dcs dcs;
  private final AgentConfig config;
  private final PeerClient peers;
  private volatile boolean running;

  public UniqueNameCheck(Dcs dcs, AgentConfig config, HaLoop loop) {
    this.dcs = dcs;
    this.config = config;
    this.peers = loop.peers();
  }

  /** Thrown when another agent runs under this member's name; nothing was changed. */
  public static final class DuplicateNameException extends RuntimeException {
    public DuplicateNameException(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public void start() {
    running = true;
    Optional<Member> same;
    try {
      ClusterView view = dcs.read();
      same = view.member(config.name());
    } catch (DcsException e) {
      // The store is not reachable yet: the loop will wait for it; nothing to compare with.
      return;
    }
    if (same.isPresent() && peers.answers(same.get())) {
      String message = "Can't start; there is already a node named '" + config.name() + "' running";
      log.error(Critical.MARKER, message);
      throw new DuplicateNameException(message);
    }
  }

  @Override
  public void stop() {
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Before every other lifecycle, the web server's included. */
  @Override
  public int getPhase() {
    return Integer.MIN_VALUE + 1000;
  }
}
