package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the end-to-end tests ask of a cluster of agents, by member name. */
final class Members {

  private Members() {}

  /** The live members answering 200 on {@code /primary}. */
  static List<String> primaries(Map<String, RegentAgent> agents) {
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
  static Optional<String> leader(Map<String, RegentAgent> agents) {
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

  /** Rows in {@code table} on the member, -1 when it cannot be read. */
  static long count(RegentAgent agent, String table) {
    try (Connection c = agent.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1;
    }
  }
}
