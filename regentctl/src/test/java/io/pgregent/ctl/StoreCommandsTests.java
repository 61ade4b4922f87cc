package io.pgregent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.testsupport.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * regentctl against a real etcd holding a cluster written in Patroni's format (the reference
 * captures of Patroni 3.0.2): what list, topology, show-config, history, dsn, edit-config and
 * remove print and write.
 */
@Timeout(120)
class StoreCommandsTests extends WithEtcd {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1024 * 1024;

  @TempDir static Path dir;

  private static String url() {
    return "etcd3://127.0.0.1:" + etcd.clientPort();
  }

  /** A patronictl-style configuration file for one scope. */
  private static String config(String scope) throws IOException {
    return ctlConfig(dir.resolve(scope + ".yml"), scope, "namespace: /service/\n");
  }

  /** The cluster after Patroni's edit-config turned synchronous mode on (capture section 4). */
  private static Map<String, String> synchronous() {
    return Captures.section("4.");
  }

  @Test
  void listPrintsPatroni41TableFromPatroniKeys() throws IOException {
    Captures.write(etcd, "bench", synchronous());

    Ctl.Result r = Ctl.run("-c", config("bench"), "list");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .isEqualTo(
            """
            + Cluster: bench (7710782928459690229) --+---------+----+-------------+-----+------------+-----+
            | Member | Host           | Role         | State   | TL | Receive LSN | Lag | Replay LSN | Lag |
            +--------+----------------+--------------+---------+----+-------------+-----+------------+-----+
            | pg0    | 127.0.0.1:5432 | Replica      | running |  2 |   0/4000300 |   0 |  0/4000300 |   0 |
            | pg1    | 127.0.0.1:5433 | Leader       | running |  2 |             |     |            |     |
            | pg2    | 127.0.0.1:5434 | Sync Standby | running |  2 |   0/4000300 |   0 |  0/4000300 |   0 |
            +--------+----------------+--------------+---------+----+-------------+-----+------------+-----+
            """);
  }

  @Test
  void listFormatsCarryTheSameValues() throws IOException {
    Captures.write(etcd, "formats", synchronous());
    String cfg = config("formats");

    JsonNode json = JSON.readTree(Ctl.run("-c", cfg, "list", "-f", "json").out());
    assertThat(json).hasSize(3);
    assertThat(json.get(1).get("Member").asText()).isEqualTo("pg1");
    assertThat(json.get(1).get("Role").asText()).isEqualTo("Leader");
    assertThat(json.get(1).has("Receive Lag")).isFalse();
    assertThat(json.get(2).get("Role").asText()).isEqualTo("Sync Standby");
    assertThat(json.get(2).get("TL").asInt()).isEqualTo(2);
    assertThat(json.get(2).get("Receive LSN").asText()).isEqualTo("0/4000300");
    assertThat(json.get(2).get("Replay Lag").asLong()).isZero();
    assertThat(json.get(0).get("Cluster").asText()).isEqualTo("formats");

    JsonNode yaml = Formats.parseYaml(Ctl.run("-c", cfg, "list", "--format", "yaml").out());
    assertThat(yaml).isEqualTo(json);

    List<String> tsv = Ctl.run("-c", cfg, "list", "-f", "tsv").out().lines().toList();
    assertThat(tsv.get(0))
        .isEqualTo(
            "Cluster\tMember\tHost\tRole\tState\tTL\tReceive LSN\tReceive Lag\tReplay LSN\tReplay Lag");
    assertThat(tsv.get(3))
        .isEqualTo(
            "formats\tpg2\t127.0.0.1:5434\tSync Standby\trunning\t2\t0/4000300\t0\t0/4000300\t0");
  }

  @Test
  void lagIsMegabytesBehindTheLeaderOptime() throws Exception {
    Map<String, String> keys = new LinkedHashMap<>(synchronous());
    long optime = 67109632;
    // A Patroni 4.1 replica: received 3 MiB + 1000 bytes behind, replayed 5.6 MiB behind.
    keys.put(
        "members/pg0",
        "{\"conn_url\":\"postgres://127.0.0.1:5432/postgres\",\"api_url\":\"http://127.0.0.1:8008/patroni\","
            + "\"state\":\"running\",\"role\":\"replica\",\"version\":\"4.1.4\",\"timeline\":2,"
            + "\"replication_state\":\"streaming\",\"xlog_location\":"
            + (optime - 3 * MIB - 1000)
            + ",\"receive_lsn\":"
            + (optime - 3 * MIB - 1000)
            + ",\"replay_lsn\":"
            + (optime - (long) (5.6 * MIB))
            + "}");
    // A member that publishes no position at all.
    keys.put(
        "members/pg3",
        "{\"conn_url\":\"postgres://127.0.0.1:5435/postgres\",\"api_url\":\"http://127.0.0.1:8011/patroni\","
            + "\"state\":\"starting\",\"role\":\"replica\",\"version\":\"4.1.4\"}");
    Captures.write(etcd, "lagging", keys);

    JsonNode json = JSON.readTree(Ctl.run("-d", url(), "list", "lagging", "-f", "json").out());

    JsonNode pg0 = json.get(0);
    assertThat(pg0.get("State").asText()).isEqualTo("streaming");
    assertThat(pg0.get("Receive Lag").asLong()).isEqualTo(3);
    assertThat(pg0.get("Replay Lag").asLong()).isEqualTo(6);
    assertThat(pg0.get("Receive LSN").asText()).isEqualTo("0/3CFFF18");
    JsonNode pg3 = json.get(3);
    assertThat(pg3.get("Member").asText()).isEqualTo("pg3");
    assertThat(pg3.get("Receive Lag").asText()).isEqualTo("unknown");
    assertThat(pg3.get("State").asText()).isEqualTo("starting");
  }

  @Test
  void listShowsMaintenanceModeAndScheduledSwitchover() throws IOException {
    Map<String, String> keys = new LinkedHashMap<>(synchronous());
    keys.put("config", "{\"ttl\":30,\"loop_wait\":10,\"pause\":true}");
    keys.put(
        "failover",
        "{\"leader\":\"pg1\",\"member\":\"pg0\",\"scheduled_at\":\"2030-01-01T12:00:00+00:00\"}");
    keys.put(
        "members/pg2",
        "{\"conn_url\":\"postgres://127.0.0.1:5434/postgres\",\"api_url\":\"http://127.0.0.1:8010/patroni\","
            + "\"state\":\"running\",\"role\":\"replica\",\"version\":\"4.1.4\",\"timeline\":2,"
            + "\"xlog_location\":67109632,\"pending_restart\":true,\"tags\":{\"nofailover\":true}}");
    Captures.write(etcd, "paused", keys);

    Ctl.Result r = Ctl.run("-c", config("paused"), "list");

    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(1)).contains("| Pending restart |").endsWith("| Tags                 |");
    assertThat(lines.get(5)).contains("| *               |").contains("{\"nofailover\": true}");
    // pg2 is no sync standby any more: synchronous_mode is off in this configuration
    assertThat(lines.get(5)).contains("| Replica |");
    assertThat(lines.subList(7, lines.size()))
        .containsExactly(
            " Maintenance mode: on",
            " Switchover scheduled at: 2030-01-01T12:00Z",
            "                    from: pg1",
            "                      to: pg0");
  }

  @Test
  void topologyPutsReplicasUnderTheLeader() throws IOException {
    Captures.write(etcd, "tree", Captures.section("2."));

    List<String> lines = Ctl.run("-c", config("tree"), "topology").out().lines().toList();

    assertThat(lines.get(3)).startsWith("| pg1    |").contains("| Leader  |");
    assertThat(lines.get(4)).startsWith("| + pg0  |");
    assertThat(lines.get(5)).startsWith("| + pg2  |");
  }

  @Test
  void showConfigHistoryAndDsnReadTheStore() throws IOException {
    Map<String, String> keys = synchronous();
    Captures.write(etcd, "reads", keys);
    String cfg = config("reads");

    Ctl.Result show = Ctl.run("-c", cfg, "show-config");
    assertThat(show.code()).isZero();
    assertThat(Formats.parseYaml(show.out())).isEqualTo(JSON.readTree(keys.get("config")));
    assertThat(show.out())
        .startsWith("loop_wait: 10\nmaximum_lag_on_failover: 1048576\npostgresql:\n");
    assertThat(show.out()).contains("    hot_standby: 'on'\n");

    assertThat(Ctl.run("-c", cfg, "history").out())
        .isEqualTo(
            """
            +----+----------+------------------------------+----------------------------------+------------+
            | TL |      LSN | Reason                       | Timestamp                        | New Leader |
            +----+----------+------------------------------+----------------------------------+------------+
            |  1 | 67109256 | no recovery target specified | 2026-11-22T00:16:34.883479+00:00 | pg1        |
            +----+----------+------------------------------+----------------------------------+------------+
            """);
    assertThat(Ctl.run("-c", cfg, "history", "-f", "json").out().strip())
        .isEqualTo(
            "[{\"TL\": 1, \"LSN\": 67109256, \"Reason\": \"no recovery target specified\","
                + " \"Timestamp\": \"2026-11-22T00:16:34.883479+00:00\", \"New Leader\": \"pg1\"}]");

    assertThat(Ctl.run("-c", cfg, "dsn").out()).isEqualTo("host=127.0.0.1 port=5433\n");
    assertThat(Ctl.run("-c", cfg, "dsn", "-m", "pg2").out())
        .isEqualTo("host=127.0.0.1 port=5434\n");
    assertThat(Ctl.run("-c", cfg, "dsn", "-r", "replica").out())
        .isEqualTo("host=127.0.0.1 port=5432\n");
    Ctl.Result unknown = Ctl.run("-c", cfg, "dsn", "-m", "pg9");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).isEqualTo("regentctl: pg9 is not a member of cluster reads\n");
  }

  @Test
  void editConfigSetWritesTheConfigKey() throws IOException {
    Captures.write(etcd, "edits", Captures.section("2."));
    String cfg = config("edits");
    String key = "/service/edits/config";

    Ctl.Result r =
        Ctl.run(
            "-c",
            cfg,
            "edit-config",
            "--set",
            "synchronous_mode=true",
            "--pg",
            "max_connections=200",
            "--set",
            "postgresql.use_slots=",
            "--force");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("-synchronous_mode: false\n+synchronous_mode: true\n");
    assertThat(r.out()).endsWith("Configuration changed\n");
    JsonNode stored = JSON.readTree(etcd.get(key).orElseThrow());
    assertThat(stored.get("synchronous_mode").asBoolean()).isTrue();
    assertThat(stored.at("/postgresql/parameters/max_connections").asInt()).isEqualTo(200);
    assertThat(stored.at("/postgresql/parameters/wal_level").asText()).isEqualTo("replica");
    assertThat(stored.at("/postgresql").has("use_slots")).isFalse();
    assertThat(stored.get("ttl").asInt()).isEqualTo(30);

    Ctl.Result again = Ctl.run("-c", cfg, "edit-config", "-s", "synchronous_mode=true", "--force");
    assertThat(again.out()).isEqualTo("Not changed\n");
  }

  @Test
  void editConfigRefusesInvalidValuesWithoutWriting() throws IOException {
    Captures.write(etcd, "invalid", Captures.section("2."));
    String cfg = config("invalid");
    String before = etcd.get("/service/invalid/config").orElseThrow();

    Ctl.Result ttl = Ctl.run("-c", cfg, "edit-config", "--set", "ttl=abc", "--force");
    assertThat(ttl.code()).isEqualTo(1);
    assertThat(ttl.err()).startsWith("regentctl: ").contains("ttl").endsWith("; nothing written\n");

    Ctl.Result pause =
        Ctl.run("-c", cfg, "edit-config", "--set", "pause={loop_wait: 1.5}", "--force");
    assertThat(pause.code()).isEqualTo(1);
    assertThat(pause.err()).contains("pause: expected true or false");

    Ctl.Result pg = Ctl.run("-c", cfg, "edit-config", "--set", "postgresql=text", "--force");
    assertThat(pg.code()).isEqualTo(1);
    assertThat(pg.err()).contains("postgresql: expected an object");

    Ctl.Result declined = Ctl.withInput("n\n", "-c", cfg, "edit-config", "--set", "loop_wait=5");
    assertThat(declined.code()).isEqualTo(1);
    assertThat(declined.out()).contains("Apply these changes? [y/N]");

    assertThat(etcd.get("/service/invalid/config")).contains(before);
  }

  @Test
  void editConfigKeepsUnknownKeysAndPatronisValueFormsAsPatroniDoes() throws IOException {
    Captures.write(etcd, "forms", Captures.section("2."));
    String cfg = config("forms");

    Ctl.Result r =
        Ctl.run(
            "-c",
            cfg,
            "edit-config",
            "--set",
            "tll=30",
            "--set",
            "synchronous_mode=on",
            "--set",
            "permanent_slots={keep: {type: physical}}",
            "--force");

    assertThat(r.code()).as(r.err()).isZero();
    JsonNode stored = JSON.readTree(etcd.get("/service/forms/config").orElseThrow());
    assertThat(stored.get("tll").asInt()).isEqualTo(30);
    assertThat(stored.at("/permanent_slots/keep/type").asText()).isEqualTo("physical");
  }

  @Test
  void editConfigAppliesAFileAfterConfirmation() throws IOException {
    Captures.write(etcd, "applied", Captures.section("2."));
    Path patch = dir.resolve("patch.yml");
    Files.writeString(patch, "loop_wait: 5\npostgresql:\n  parameters:\n    wal_keep_size: null\n");

    Ctl.Result r =
        Ctl.withInput("y\n", "-c", config("applied"), "edit-config", "--apply", patch.toString());

    assertThat(r.code()).as(r.err()).isZero();
    JsonNode stored = JSON.readTree(etcd.get("/service/applied/config").orElseThrow());
    assertThat(stored.get("loop_wait").asInt()).isEqualTo(5);
    assertThat(stored.at("/postgresql/parameters").has("wal_keep_size")).isFalse();
    assertThat(stored.at("/postgresql/parameters/max_wal_senders").asInt()).isEqualTo(10);
  }

  /** An editor that changes loop_wait to 7 and, when asked, rewrites the key meanwhile. */
  private static Path editor(String scope, boolean concurrentWrite) throws IOException {
    Path script = dir.resolve("editor-" + scope + ".sh");
    String race =
        concurrentWrite
            ? "etcdctl --endpoints="
                + etcd.clientUrl()
                + " put /service/"
                + scope
                + "/config '{\"ttl\":30,\"loop_wait\":3}' >/dev/null\n"
            : "";
    Files.writeString(
        script, "#!/bin/sh\nsed -i 's/^loop_wait: 10$/loop_wait: 7/' \"$1\"\n" + race);
    script.toFile().setExecutable(true);
    return script;
  }

  @Test
  void editConfigOpensTheEditorAndWritesWithCompareAndSet() throws IOException {
    Captures.write(etcd, "edited", Captures.section("2."));
    Map<String, String> env = Map.of("EDITOR", editor("edited", false).toString());

    Ctl.Result r = Ctl.withEnv(env, "y\n", "-c", config("edited"), "edit-config");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("-loop_wait: 10\n+loop_wait: 7\n")
        .contains("Apply these changes? [y/N]");
    JsonNode stored = JSON.readTree(etcd.get("/service/edited/config").orElseThrow());
    assertThat(stored.get("loop_wait").asInt()).isEqualTo(7);
  }

  @Test
  void editConfigWritesNothingWhenTheKeyChangedMeanwhile() throws IOException {
    Captures.write(etcd, "raced", Captures.section("2."));
    Map<String, String> env = Map.of("EDITOR", editor("raced", true).toString());

    Ctl.Result r = Ctl.withEnv(env, "", "-c", config("raced"), "edit-config", "--force");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("changed in the store while it was edited; nothing written");
    assertThat(JSON.readTree(etcd.get("/service/raced/config").orElseThrow()))
        .isEqualTo(JSON.readTree("{\"ttl\":30,\"loop_wait\":3}"));
  }

  @Test
  void removeDeletesTheClusterOnlyAfterTheConfirmations() throws IOException {
    Map<String, String> keys = new java.util.LinkedHashMap<>(synchronous());
    // Regent's own key goes with Patroni's.
    keys.put("regent-timeline", "3");
    Captures.write(etcd, "doomed", keys);
    String cfg = config("doomed");

    Ctl.Result wrongName = Ctl.withInput("other\n", "-c", cfg, "remove", "doomed");
    assertThat(wrongName.code()).isEqualTo(1);
    assertThat(wrongName.err()).contains("Cluster names specified do not match");
    Ctl.Result notAware = Ctl.withInput("doomed\nyes\n", "-c", cfg, "remove", "doomed");
    assertThat(notAware.code()).isEqualTo(1);
    Ctl.Result wrongLeader =
        Ctl.withInput("doomed\nYes I am aware\npg0\n", "-c", cfg, "remove", "doomed");
    assertThat(wrongLeader.code()).isEqualTo(1);
    for (String k : keys.keySet()) {
      assertThat(etcd.get("/service/doomed/" + k)).as(k).isPresent();
    }

    Ctl.Result r = Ctl.withInput("doomed\nYes I am aware\npg1\n", "-c", cfg, "remove", "doomed");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("Please confirm the cluster name to remove: ")
        .contains("please type: \"Yes I am aware\": ")
        .contains("Please specify the leader name to continue: ");
    for (String k : keys.keySet()) {
      assertThat(etcd.get("/service/doomed/" + k)).as(k).isEmpty();
    }
  }

  @Test
  void wrongArgumentsPrintUsageAndExitWith2() {
    Ctl.Result unknownOption = Ctl.run("-d", url(), "list", "--bogus");
    assertThat(unknownOption.code()).isEqualTo(2);
    assertThat(unknownOption.err())
        .contains("Unknown option: '--bogus'")
        .contains("Usage: regentctl list");

    Ctl.Result unknownCommand = Ctl.run("-d", url(), "lits");
    assertThat(unknownCommand.code()).isEqualTo(2);

    Ctl.Result missing = Ctl.run("-d", url(), "restart");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("CLUSTER_NAME").contains("Usage: regentctl restart");

    Ctl.Result badFormat = Ctl.run("-d", url(), "list", "x", "-f", "xml");
    assertThat(badFormat.code()).isEqualTo(2);

    assertThat(Ctl.run().code()).isEqualTo(2);
  }

  @Test
  void unreachableStoreIsOneLineNamingTheEndpoint() {
    int closed = FreePorts.next();

    Ctl.Result r = listUnreachable("etcd3", closed);

    assertThat(r.err())
        .startsWith("regentctl: etcd3 unreachable at http://127.0.0.1:" + closed + ": ");
  }

  @Test
  void unknownStoreIsRefusedClearly() {
    Ctl.Result r = Ctl.run("-d", "kubernetes://127.0.0.1:8500", "list", "x");

    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "regentctl: kubernetes: regentctl cannot open this store (known: etcd3, zookeeper,"
                + " consul)\n");
  }

  @Test
  void unreachableConsulIsOneLineNamingTheEndpoint() {
    int closed = FreePorts.next();

    Ctl.Result r = listUnreachable("consul", closed);

    assertThat(r.err()).startsWith("regentctl: ").contains("127.0.0.1:" + closed);
  }

  /** {@code list} against a store at a closed port: exit code 1, nothing out, one line of error. */
  private static Ctl.Result listUnreachable(String store, int closed) {
    Ctl.Result r = Ctl.run("-d", store + "://127.0.0.1:" + closed, "list", "somewhere");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(1);
    return r;
  }
}
