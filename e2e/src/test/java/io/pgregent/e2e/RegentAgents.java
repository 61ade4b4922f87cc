package io.pgregent.e2e;

import io.pgregent.testsupport.EtcdServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A three-member cluster of Regent agent processes, for benchmarks. */
public final class RegentAgents extends AgentCluster<RegentAgent> {

  private RegentAgents(String scope, List<RegentAgent> members) {
    super(scope, members);
  }

  public static RegentAgents start(
      Path base, EtcdServer etcd, String scope, int ttl, int loopWait, int retryTimeout) {
    RegentAgents c =
        new RegentAgents(
            scope,
            NAMES.stream()
                .map(
                    name ->
                        new RegentAgent(
                            base,
                            scope,
                            name,
                            "127.0.0.1:" + etcd.clientPort(),
                            Map.of(),
                            ttl,
                            loopWait,
                            retryTimeout))
                .toList());
    c.startAll();
    return c;
  }
}
