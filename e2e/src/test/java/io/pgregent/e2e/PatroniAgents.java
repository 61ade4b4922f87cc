package io.pgregent.e2e;

import io.pgregent.testsupport.EtcdServer;
import java.nio.file.Path;
import java.util.List;

/** A three-member cluster of real Patroni agents, for benchmarks beside {@link RegentAgents}. */
public final class PatroniAgents extends AgentCluster<PatroniAgent> {

  private PatroniAgents(String scope, List<PatroniAgent> members) {
    super(scope, members);
  }

  public static PatroniAgents start(
      Path base, EtcdServer etcd, String scope, int ttl, int loopWait, int retryTimeout) {
    PatroniAgents c =
        new PatroniAgents(
            scope,
            NAMES.stream()
                .map(
                    name ->
                        new PatroniAgent(
                            base,
                            scope,
                            name,
                            "127.0.0.1:" + etcd.clientPort(),
                            ttl,
                            loopWait,
                            retryTimeout))
                .toList());
    c.startAll();
    return c;
  }
}
