package io.pgregent.e2e;

import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.EtcdServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A cluster of agent processes (Regent's or Patroni's), for benchmarks. */
public final class AgentCluster<A extends ClusterMember> implements AutoCloseable {

  /** The member names every benchmark cluster uses. */
  public static final List<String> NAMES = List.of("pg0", "pg1", "pg2");

  private final String scope;
  private final Map<String, A> agents = new LinkedHashMap<>();

  private AgentCluster(String scope, List<A> members) {
    this.scope = scope;
    members.forEach(a -> agents.put(a.name(), a));
  }

  /** Three Regent agents ({@link #NAMES}) on {@code etcd}, started. */
  public static AgentCluster<RegentAgent> regent(
      Path base, EtcdServer etcd, String scope, int ttl, int loopWait, int retryTimeout) {
    String store = "127.0.0.1:" + etcd.clientPort();
    return start(
        scope,
        name -> new RegentAgent(base, scope, name, store, Map.of(), ttl, loopWait, retryTimeout));
  }

  /** Three Regent agents on {@code etcd} with extra lines in their {@code regent:} section. */
  public static AgentCluster<RegentAgent> regent(
      Path base,
      EtcdServer etcd,
      String scope,
      int ttl,
      int loopWait,
      int retryTimeout,
      String regentExtra) {
    String store = "127.0.0.1:" + etcd.clientPort();
    return start(
        scope,
        name ->
            new RegentAgent(
                base, scope, name, store, Map.of(), ttl, loopWait, retryTimeout, "", regentExtra));
  }

  /** Three Patroni agents ({@link #NAMES}) configured as {@link #regent} would, started. */
  public static AgentCluster<PatroniAgent> patroni(
      Path base, EtcdServer etcd, String scope, int ttl, int loopWait, int retryTimeout) {
    String store = "127.0.0.1:" + etcd.clientPort();
    return start(
        scope,
        name ->
            new PatroniAgent(
                PatroniAgent.executable(), base, scope, name, store, ttl, loopWait, retryTimeout));
  }

  private static <A extends ClusterMember> AgentCluster<A> start(
      String scope, Function<String, A> member) {
    AgentCluster<A> cluster = new AgentCluster<>(scope, NAMES.stream().map(member).toList());
    cluster.agents.values().forEach(ClusterMember::start);
    return cluster;
  }

  public String scope() {
    return scope;
  }

  /** The leader key in the store, under Patroni's default namespace. */
  public String leaderKey() {
    return "/service/" + scope + "/leader";
  }

  public List<A> members() {
    return List.copyOf(agents.values());
  }

  public A agent(String name) {
    return agents.get(name);
  }

  public List<Long> agentPids() {
    return agents.values().stream().map(ClusterMember::pid).toList();
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
            .map(a -> "127.0.0.1:" + a.pgPort())
            .collect(Collectors.joining(","))
        + "/postgres?targetServerType=primary&connectTimeout=1&socketTimeout=2&loginTimeout=2";
  }

  public boolean streaming(String name) {
    return agents.get(name).streaming();
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

  private static void waitFor(Duration bound, BooleanSupplier condition) {
    await().atMost(bound).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
  }

  @Override
  public void close() {
    agents.values().forEach(ClusterMember::close);
  }
}
