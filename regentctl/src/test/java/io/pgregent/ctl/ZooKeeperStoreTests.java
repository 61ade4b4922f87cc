package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** regentctl reads and writes a cluster kept in ZooKeeper the same way (Patroni's znodes). */
@Timeout(120)
class ZooKeeperStoreTests {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void listAndEditConfigThroughZooKeeper() throws Exception {
    try (TestingServer zk = new TestingServer(true);
        CuratorFramework client =
            CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
      client.start();
      for (Map.Entry<String, String> e : Captures.section("4.").entrySet()) {
        client
            .create()
            .creatingParentsIfNeeded()
            .forPath("/service/zoo/" + e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8));
      }
      Path cfg = dir.resolve("ctl.yml");
      Files.writeString(
          cfg, "scope: zoo\nzookeeper:\n  hosts:\n    - " + zk.getConnectString() + "\n");

      Ctl.Result list = Ctl.run("-c", cfg.toString(), "list", "-f", "json");
      assertThat(list.code()).as(list.err()).isZero();
      JsonNode rows = JSON.readTree(list.out());
      assertThat(rows).hasSize(3);
      assertThat(rows.get(1).get("Role").asText()).isEqualTo("Leader");
      assertThat(rows.get(2).get("Role").asText()).isEqualTo("Sync Standby");

      Ctl.Result url =
          Ctl.run("-d", "zookeeper://" + zk.getConnectString(), "list", "zoo", "-f", "tsv");
      assertThat(url.out().lines()).hasSize(4);

      Ctl.Result edit =
          Ctl.run("-c", cfg.toString(), "edit-config", "-s", "loop_wait=5", "--force", "-q");
      assertThat(edit.code()).as(edit.err()).isZero();
      JsonNode stored =
          JSON.readTree(
              new String(client.getData().forPath("/service/zoo/config"), StandardCharsets.UTF_8));
      assertThat(stored.get("loop_wait").asInt()).isEqualTo(5);
    }
  }
}
