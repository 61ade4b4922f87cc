package io.pgregent.e2e;

import io.pgregent.testsupport.EtcdServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/** A three-member cluster of agent processes, for benchmarks. */
public final class RegentAgents implements AutoCloseable {

  private final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  private RegentAgents() {}

  public static RegentAgents start(
      Path base, EtcdServer etcd, String scope, int ttl, int loopWait, int retryTimeout) {
    RegentAgents c = new RegentAgents();
    for (String name : List.of("pg0", "pg1", "pg2")) {
      c.agents.put(
          name,
          new RegentAgent(
              base,
              scope,
              name,
              "127.0.0.1:" + etcd.clientPort(),
              Map.of(),
              ttl,
              loopWait,
              retryTimeout));
    }
    c.agents.values().forEach(RegentAgent::start);
    return c;
  }

  public RegentAgent agent(String name) {
    return agents.get(name);
  }

  public List<Long> agentPids() {
    return agents.values().stream().map(RegentAgent::pid).toList();
  }

  public Optional<String> leader() {
    return agents.entrySet().stream()
        .filter(e -> e.getValue().isAlive() && e.getValue().status("/primary") == 200)
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /** A JDBC URL naming every member, connecting to whichever is the primary. */
  public String multiHostUrl() {
    return "jdbc:postgresql://"
        + agents.values().stream()
            .map(a -> "127.0.0.1:" + a.pgPort)
            .collect(Collectors.joining(","))
        + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=2&loginTimeout=2";
  }

  public boolean streaming(String name) {
    RegentAgent a = agents.get(name);
    return a.status("/replica") == 200
        && a.patroni()
            .map(j -> j.path("replication_state").asText().equals("streaming"))
            .orElse(false);
  }

  /** Waits (polling every 50 ms) until one leader and every other member streams. */
  public void awaitHealthy(Duration bound) {
    waitFor(
        bound,
        () -> {
          Optional<String> leader = leader();
          if (leader.isEmpty()) {
            return false;
          }
          List<String> replicas = new ArrayList<>(agents.keySet());
          replicas.remove(leader.get());
          return replicas.stream().allMatch(this::streaming);
        });
  }

  public void awaitStreaming(String name, Duration bound) {
    waitFor(bound, () -> streaming(name));
  }

  private static void waitFor(Duration bound, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("condition not met within " + bound);
      }
      LockSupport.parkNanos(50_000_000);
    }
  }

  @Override
  public void close() {
    agents.values().forEach(RegentAgent::close);
  }
}
