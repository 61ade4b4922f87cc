package io.pgregent.agent.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.MemberHttp;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The console's beans: its own ticker thread, the peers' decisions, the event stream. */
@Configuration(proxyBeanMethods = false)
public class ConsoleConfiguration {

  /** The console's one thread: peers that do not answer must not hold up the agent's scheduler. */
  public record ConsoleTicker(ScheduledExecutorService executor) implements AutoCloseable {
    @Override
    public void close() {
      executor.shutdownNow();
    }
  }

  /** Calls to other members: the REST API's TLS settings, as the loop's own peer calls. */
  public record ConsoleHttp(Supplier<HttpClient> client) {}

  @Bean(destroyMethod = "close")
  ConsoleTicker consoleTicker() {
    return new ConsoleTicker(
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "regent-console");
              t.setDaemon(true);
              return t;
            }));
  }

  @Bean
  ConsoleHttp consoleHttp(HaLoop loop) {
    return new ConsoleHttp(
        MemberHttp.lazyClient(loop.config().properties(), Duration.ofSeconds(1)));
  }

  @Bean
  PeerDecisions peerDecisions(HaLoop loop, DecisionLog log, ConsoleHttp http) {
    return new PeerDecisions(
        loop.config().name(), log, http.client(), Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Bean
  LeaderReplication leaderReplication(HaLoop loop, ConsoleHttp http) {
    return new LeaderReplication(loop, http.client(), Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Bean(destroyMethod = "close")
  ConsoleEvents consoleEvents(
      HaLoop loop, PeerDecisions peers, LeaderReplication lags, ConsoleTicker ticker) {
    return new ConsoleEvents(
        () -> state(loop, peers, lags),
        ticker.executor(),
        Duration.ofSeconds(1),
        Duration.ofSeconds(15));
  }

  /** The document every console reader gets: the loop's snapshot, never a read of its own. */
  static ObjectNode state(HaLoop loop, PeerDecisions peers, LeaderReplication lags) {
    Optional<AgentSnapshot> snapshot = loop.snapshot();
    List<Member> members =
        snapshot
            .flatMap(AgentSnapshot::view)
            .map(ClusterView::members)
            .map(m -> List.copyOf(m.values()))
            .orElse(List.of());
    Map<String, JsonNode> decisions = peers.of(members);
    Optional<Duration> remaining =
        snapshot.filter(AgentSnapshot::holdsLock).flatMap(s -> loop.leaseGuard().remaining());
    return ConsoleState.render(
        new ConsoleState.Inputs(
            loop.config().name(),
            loop.config().scope(),
            snapshot,
            remaining,
            loop.task(),
            decisions,
            lags.replayLagMillis()));
  }
}
