package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FreePorts;
import io.pgregent.testsupport.postgres.TestPostgres;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code query} finds the member in the store and runs SQL on a real PostgreSQL. */
@Timeout(180)
class QueryCommandTests {

  @Test
  void queryRunsOnTheLeaderOrTheNamedMember() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        TestPostgres pg = TestPostgres.start("ctl-query", Duration.ofSeconds(60))) {
      int dead = FreePorts.next();
      Map<String, String> keys = new LinkedHashMap<>();
      keys.put("leader", "pg1");
      keys.put(
          "members/pg1",
          "{\"conn_url\":\"postgres://127.0.0.1:"
              + pg.port()
              + "/postgres\",\"api_url\":\"http://127.0.0.1:8009/patroni\",\"state\":\"running\","
              + "\"role\":\"primary\",\"version\":\"4.1.4\"}");
      keys.put(
          "members/pg2",
          "{\"conn_url\":\"postgres://127.0.0.1:"
              + dead
              + "/postgres\",\"api_url\":\"http://127.0.0.1:8010/patroni\",\"state\":\"running\","
              + "\"role\":\"replica\",\"version\":\"4.1.4\"}");
      Captures.write(etcd, "q", keys);
      String url = "etcd3://127.0.0.1:" + etcd.clientPort();

      Ctl.Result tsv =
          Ctl.run("-d", url, "query", "q", "-U", "postgres", "-c", "select 1 as one, 'x' as two");
      assertThat(tsv.code()).as(tsv.err()).isZero();
      assertThat(tsv.out()).isEqualTo("one\ttwo\n1\tx\n");

      Ctl.Result json =
          Ctl.run(
              "-d",
              url,
              "query",
              "q",
              "-U",
              "postgres",
              "--format",
              "json",
              "-c",
              "select pg_is_in_recovery() as recovery");
      assertThat(json.out()).isEqualTo("[{\"recovery\": \"f\"}]\n");

      Ctl.Result down =
          Ctl.run("-d", url, "query", "q", "-m", "pg2", "-U", "postgres", "-c", "select 1");
      assertThat(down.code()).isEqualTo(1);
      assertThat(down.err().lines()).singleElement().asString().startsWith("regentctl: pg2: ");
    }
  }
}
