package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A former primary becomes the leader of a standby cluster that follows the member promoted in its
 * place, as an operator reuses a detached old primary (Patroni's standby_cluster feature does it
 * after a shutdown). Its WAL went past the point where the new primary's timeline forked off: it is
 * rewound onto the remote primary instead of failing to start as a standby forever.
 */
@Timeout(600)
class StandbyClusterRejoinIT {

  private static final String TABLE = "rejoin_rows";
  private static final Duration BOUND = Duration.ofSeconds(120);

  private final Map<String, RegentAgent> agents = new LinkedHashMap<>();

  @RegisterExtension
  final TestWatcher logsOnFailure = AgentLogs.onFailure(() -> agents, RegentAgent::logTail);

  private EtcdServer etcd;
  private Path base;

  @AfterEach
  void stopAll() {
    Members.stopAll(new ArrayList<>(agents.values()), etcd, base);
  }

  @Test
  void aFormerPrimaryPastTheForkLeadsAStandbyClusterThroughPgRewind() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-rejoin");
    String store = "127.0.0.1:" + etcd.clientPort();
    RegentAgent a0 = add(new RegentAgent(base, "main", "a0", store, Map.of()));
    RegentAgent a1 = add(new RegentAgent(base, "main", "a1", store, Map.of()));
    a0.start();
    await().atMost(BOUND).until(() -> a0.status("/primary") == 200);
    a1.start();
    await().atMost(BOUND).until(() -> Members.streaming(a1));
    Members.write(a0, TABLE, 5);
    await().atMost(BOUND).until(() -> Members.count(a1, TABLE) == 5);

    // a0 goes on alone, then dies; a1 is promoted without a0's last rows: a0's WAL on the old
    // timeline goes past the fork.
    a1.stop();
    await().atMost(BOUND).until(() -> !a1.isAlive());
    assertThat(Members.write(a0, TABLE, 5)).isEqualTo(10);
    a0.crash();
    a1.start();
    await().atMost(BOUND).until(() -> a1.status("/primary") == 200);
    assertThat(Members.write(a1, TABLE, 3)).isEqualTo(8);

    // a0's member, data directory and ports become a standby cluster following a1.
    RegentAgent s0 = new RegentAgent(a0, "dr", store, 10, 2, 3);
    agents.put("a0", s0);
    StandbyClusterIT.bootstrapDcs(
        s0, "standby_cluster:\n  host: 127.0.0.1\n  port: " + a1.pgPort + "\n");
    s0.start();
    await().atMost(BOUND).until(() -> s0.status("/standby-leader") == 200);
    // It streams a1's rows on a1's timeline, and a0's own last rows are gone with the rewind.
    await().atMost(BOUND).until(() -> StandbyClusterIT.replicationClients(a1).contains("a0"));
    Members.write(a1, TABLE, 2);
    await().atMost(BOUND).until(() -> Members.count(s0, TABLE) == 10);
    assertThat(s0.log()).contains("rejoining remote_member: REWOUND");
    assertThat(s0.writable()).isFalse();
    assertThat(s0.status("/primary")).isNotEqualTo(200);
  }

  private RegentAgent add(RegentAgent a) {
    agents.put(a.name(), a);
    return a;
  }
}
