package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** What the end-to-end tests ask of a cluster of agents, by member name. */
final class Members {

  private Members() {}

  /** The live members answering 200 on {@code /primary}. */
  static List<String> primaries(Map<String, ? extends ClusterMember> agents) {
    List<String> leaders = new ArrayList<>();
    agents.forEach(
        (name, a) -> {
          if (a.isAlive() && a.status("/primary") == 200) {
            leaders.add(name);
          }
        });
    return leaders;
  }

  /** The one primary, if any; two at once fail the test. */
  static Optional<String> leader(Map<String, ? extends ClusterMember> agents) {
    List<String> leaders = primaries(agents);
    assertThat(leaders).as("members answering 200 on /primary").hasSizeLessThanOrEqualTo(1);
    return leaders.stream().findFirst();
  }

  /** A replica whose WAL receiver streams (per {@code /patroni}). */
  static boolean streaming(RegentAgent agent) {
    return agent.status("/replica") == 200
        && agent
            .patroni()
            .map(j -> j.path("replication_state").asText().equals("streaming"))
            .orElse(false);
  }

  /**
   * Writes {@code n} rows into {@code table} (created if absent) on the member; returns how many
   * rows the table holds then.
   */
  static long write(RegentAgent agent, String table, int n) throws Exception {
    try (Connection c = agent.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + table + " (id int primary key)");
      for (int i = 0; i < n; i++) {
        st.execute("INSERT INTO " + table + " SELECT coalesce(max(id), 0) + 1 FROM " + table);
      }
    }
    return count(agent, table);
  }

  /**
   * Stops the agents, then the store, and deletes the cluster's files unless {@code
   * REGENT_E2E_KEEP} is set (then it says where they are).
   */
  static void stopAll(Iterable<? extends ClusterMember> agents, EtcdServer etcd, Path base) {
    try {
      agents.forEach(ClusterMember::close);
    } finally {
      etcd.close();
      if (System.getenv("REGENT_E2E_KEEP") == null) {
        PostgresTestEnvironment.deleteTree(base);
      } else {
        System.err.println("kept the e2e files in " + base);
      }
    }
  }

  /**
   * Whether the member's agent has read the store at or after {@code epochSeconds} (its {@code
   * dcs_last_seen}): a store link that was cut can take a while to come back after its restore.
   */
  static boolean readTheStoreSince(RegentAgent agent, long epochSeconds) {
    return agent.patroni().map(j -> j.path("dcs_last_seen").asLong() >= epochSeconds).orElse(false);
  }

  /** Rows in {@code table} on the member, -1 when it cannot be read. */
  static long count(RegentAgent agent, String table) {
    return agent.queryValue("SELECT count(*) FROM " + table).map(Long::parseLong).orElse(-1L);
  }

  /** One primary, and every other member a replica whose WAL receiver streams. */
  static boolean healthy(Map<String, RegentAgent> agents) {
    return healthy(agents, Members::streaming);
  }

  /** One primary, and every other member {@code streaming}. */
  static <A extends ClusterMember> boolean healthy(Map<String, A> agents, Predicate<A> streaming) {
    Optional<String> leader = leader(agents);
    return leader.isPresent()
        && agents.entrySet().stream()
            .filter(e -> !e.getKey().equals(leader.get()))
            .allMatch(e -> streaming.test(e.getValue()));
  }
}
