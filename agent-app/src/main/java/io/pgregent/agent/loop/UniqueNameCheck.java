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
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Refuses to start a second agent under a name a running agent already uses: if the store has a
 * member of this name whose REST API answers, the agent stops before it listens, writes to the
 * store or touches PostgreSQL. Runs as soon as the store's client exists, before any other bean
 * that could act (PostgreSQL control, the loop, the fence) and before the REST API of this agent
 * listens (so it cannot answer for the other one); and fast, as Patroni refuses at once.
 */
@Component
public class UniqueNameCheck implements BeanPostProcessor {

  private static final Logger log = LoggerFactory.getLogger(UniqueNameCheck.class);

  private final AgentConfig config;
  private volatile boolean checked;

  public UniqueNameCheck(AgentConfig config) {
    this.config = config;
  }

  /** Thrown when another agent runs under this member's name; nothing was changed. */
  public static final class DuplicateNameException extends RuntimeException {
    public DuplicateNameException(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof Dcs dcs && !checked) {
      checked = true;
      check(dcs);
    }
    return bean;
  }

  private void check(Dcs dcs) {
    Optional<Member> same;
    try {
      ClusterView view = dcs.read();
      same = view.member(config.name());
    } catch (DcsException e) {
      // The store is not reachable yet: the loop will wait for it; nothing to compare with.
      return;
    }
    if (same.isEmpty()) {
      return;
    }
    PeerClient peers =
        new PeerClient(
            java.time.Duration.ofSeconds(3),
            () -> MemberHttp.client(config.properties(), java.time.Duration.ofSeconds(3)));
    if (peers.answers(same.get())) {
      String message = "Can't start; there is already a node named '" + config.name() + "' running";
      log.error(Critical.MARKER, message);
      throw new DuplicateNameException(message);
    }
  }
}
