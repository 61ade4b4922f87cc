package io.pgregent.agent.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The demo's table is {@code patronictl list} (Patroni 4.1) rendered from {@code GET /cluster}. */
class ClusterTableTests {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void leaderAndStreamingReplicasWithPortsAsPatronictlListPrintsThem() throws Exception {
    // Members as Regent's (and Patroni 4's) GET /cluster lists them, leader in the middle.
    JsonNode cluster =
        json(
            """
            {"members": [
              {"name": "pg2", "role": "replica", "state": "streaming", "host": "127.0.0.1",
               "port": 5434, "timeline": 2, "receive_lsn": "0/4000228", "receive_lag": 0,
               "replay_lsn": "0/4000228", "replay_lag": 3145728, "lsn": "0/4000228", "lag": 0},
              {"name": "pg1", "role": "leader", "state": "running", "host": "127.0.0.1",
               "port": 5433, "timeline": 2},
              {"name": "pg0", "role": "sync_standby", "state": "streaming", "host": "127.0.0.1",
               "port": 5432, "timeline": 2, "receive_lsn": "0/4000228", "receive_lag": 0,
               "replay_lsn": "0/4000100", "replay_lag": "unknown"}
            ], "scope": "demo"}
            """);
    assertThat(ClusterTable.render("demo", "7312345678901234567", cluster))
        .isEqualTo(
            """
            + Cluster: demo (7312345678901234567) ---+-----------+----+-------------+-----+------------+---------+
            | Member | Host           | Role         | State     | TL | Receive LSN | Lag | Replay LSN | Lag     |
            +--------+----------------+--------------+-----------+----+-------------+-----+------------+---------+
            | pg0    | 127.0.0.1:5432 | Sync Standby | streaming |  2 |   0/4000228 |   0 |  0/4000100 | unknown |
            | pg1    | 127.0.0.1:5433 | Leader       | running   |  2 |             |     |            |         |
            | pg2    | 127.0.0.1:5434 | Replica      | streaming |  2 |   0/4000228 |   0 |  0/4000228 |       3 |
            +--------+----------------+--------------+-----------+----+-------------+-----+------------+---------+
            """);
  }

  @Test
  void distinctHostsOnPort5432ShowTheHostOnlyAndAPausedClusterSaysSo() throws Exception {
    JsonNode cluster =
        json(
            """
            {"members": [
              {"name": "a", "role": "leader", "state": "running", "host": "10.0.0.1",
               "port": 5432, "timeline": 1},
              {"name": "b", "role": "replica", "state": "stopped", "host": "10.0.0.2",
               "port": 5432}
            ], "pause": true}
            """);
    String table = ClusterTable.render("main", null, cluster);
    assertThat(table).startsWith("+ Cluster: main (uninitialized) ");
    assertThat(table).contains("| a      | 10.0.0.1 | Leader  | running |  1 |");
    assertThat(table).contains("| b      | 10.0.0.2 | Replica | stopped |    |");
    assertThat(table).endsWith("+\n Maintenance mode: on\n");
  }

  @Test
  void theDemoIsHealthyWithOneRunningLeaderAndTwoStreamingReplicas() throws Exception {
    String leader = "{\"name\":\"pg0\",\"role\":\"leader\",\"state\":\"running\"}";
    String streaming = "{\"name\":\"pg1\",\"role\":\"replica\",\"state\":\"streaming\"}";
    String recovering = "{\"name\":\"pg2\",\"role\":\"replica\",\"state\":\"in archive recovery\"}";
    String streaming2 = "{\"name\":\"pg2\",\"role\":\"replica\",\"state\":\"streaming\"}";
    assertThat(
            ClusterReads.healthy(
                json("{\"members\":[" + leader + "," + streaming + "," + streaming2 + "]}")))
        .isTrue();
    assertThat(
            ClusterReads.healthy(
                json("{\"members\":[" + leader + "," + streaming + "," + recovering + "]}")))
        .isFalse();
    assertThat(ClusterReads.healthy(json("{\"members\":[" + streaming + "," + streaming2 + "]}")))
        .isFalse();
  }
}
