package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Two clusters on one machine and one etcd: {@code main} (one member) and {@code dr}, a standby
 * cluster of two members following it. The cases share both clusters and each starts from them
 * whole, whichever member of dr leads it, and puts back what it changed.
 */
@Timeout(900)
class StandbyClusterIT {

  @RegisterExtension
  static final TestWatcher LOGS_ON_FAILURE =
      AgentLogs.onFailure(StandbyClusterIT::all, RegentAgent::logTail);

  private static final String TABLE = "dr_rows";
  private static final Duration BOUND = Duration.ofSeconds(120);
  private static EtcdServer etcd;
  private static Path base;
  private static RegentAgent main0;
  private static final Map<String, RegentAgent> dr = new LinkedHashMap<>();

  @BeforeAll
  static void startMain() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-standby");
    String store = "127.0.0.1:" + etcd.clientPort();
    main0 = new RegentAgent(base, "main", "main0", store, Map.of());
    // The standby leader streams through a slot the primary keeps for it.
    bootstrapDcs(main0, "slots:\n  dr_site:\n    type: physical\n");
    for (String name : List.of("dr0", "dr1")) {
      RegentAgent a = new RegentAgent(base, "dr", name, store, Map.of());
      bootstrapDcs(
          a,
          "synchronous_mode: true\n"
              + "standby_cluster:\n  host: 127.0.0.1\n  port: "
              + main0.pgPort
              + "\n  primary_slot_name: dr_site\n");
      dr.put(name, a);
    }
    main0.start();
    await().atMost(BOUND).until(() -> main0.status("/primary") == 200);
    // Rows from before the standby cluster existed reach it with its first copy.
    Members.write(main0, TABLE, 5);
    dr.values().forEach(RegentAgent::start);
  }

  /**
   * Every case starts from both sites whole, whatever the case before left: each dr member running,
   * main0 the primary, dr's standby leader streaming from it and the other dr member from the
   * standby leader.
   */
  @BeforeEach
  void startFromBothSitesWhole() {
    dr.values().stream().filter(a -> !a.isAlive()).forEach(RegentAgent::start);
    await().atMost(BOUND.multipliedBy(2)).until(StandbyClusterIT::bothSitesWhole);
  }

  static boolean bothSitesWhole() {
    if (main0.status("/primary") != 200) {
      return false;
    }
    Optional<String> leader = standbyLeader();
    if (leader.isEmpty()) {
      return false;
    }
    String replica = leader.get().equals("dr0") ? "dr1" : "dr0";
    // The replica's own WAL receiver, not only a walsender of its name: pg_basebackup's WAL
    // stream shows in pg_stat_replication under the same name while the replica is cloned.
    return replicationClients(main0).contains(leader.get())
        && replicationClients(dr.get(leader.get())).contains(replica)
        && Members.streaming(dr.get(replica));
  }

  @AfterAll
  static void stopAll() {
    List<RegentAgent> agents = new ArrayList<>(dr.values());
    if (main0 != null) {
      agents.add(main0);
    }
    Members.stopAll(agents, etcd, base);
  }

  static Map<String, RegentAgent> all() {
    Map<String, RegentAgent> m = new LinkedHashMap<>(dr);
    if (main0 != null) {
      m.put("main0", main0);
    }
    return m;
  }

  /** Adds YAML lines (unindented) to the agent's {@code bootstrap.dcs}. */
  static void bootstrapDcs(RegentAgent agent, String lines) throws Exception {
    String yaml = Files.readString(agent.configFile);
    String anchor = "    maximum_lag_on_failover: 1048576\n";
    assertThat(yaml).contains(anchor);
    StringBuilder add = new StringBuilder();
    lines.lines().forEach(l -> add.append("    ").append(l).append('\n'));
    Files.writeString(agent.configFile, yaml.replace(anchor, anchor + add));
  }

  static Optional<String> standbyLeader() {
    List<String> leaders =
        dr.entrySet().stream()
            .filter(e -> e.getValue().isAlive() && e.getValue().status("/standby-leader") == 200)
            .map(Map.Entry::getKey)
            .toList();
    assertThat(leaders).as("two standby leaders").hasSizeLessThan(2);
    return leaders.stream().findFirst();
  }

  /** Nobody in a standby cluster answers as a writable primary, and PostgreSQL agrees. */
  static void noPrimaryIn(Map<String, RegentAgent> agents) {
    agents.forEach(
        (n, a) -> {
          assertThat(a.status("/primary")).as(n + " /primary").isNotEqualTo(200);
          // Not running at this moment is not writable either.
          assertThat(a.writable()).as(n + " is in recovery").isFalse();
        });
  }

  static String role(RegentAgent a) {
    return a.patroni().map(j -> j.path("role").asText()).orElse("");
  }

  static String memberKeyRole(String scope, String name) {
    return etcd.get("/service/" + scope + "/members/" + name)
        .map(
            v -> {
              try {
                return new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(v)
                    .path("role")
                    .asText();
              } catch (Exception e) {
                return "";
              }
            })
        .orElse("");
  }

  static List<String> replicationClients(RegentAgent upstream) {
    List<String> names = new ArrayList<>();
    try (Connection c = upstream.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    } catch (Exception e) {
      return List.of();
    }
    return names;
  }

  static String regentctl(RegentAgent as, String... args) throws Exception {
    Path launcher =
        Path.of(System.getProperty("regent.ctl.bin", "../bin/regentctl")).toAbsolutePath();
    List<String> cmd =
        new ArrayList<>(List.of(launcher.toString(), "-c", as.configFile.toString()));
    cmd.addAll(List.of(args));
    return PlannedOperationsIT.run(cmd, Map.of("JAVA_HOME", System.getProperty("java.home")), 5);
  }

  @Test
  void aStandbyClusterFollowsThePrimaryClusterAndNeverPromotes() throws Exception {
    long rows = Members.write(main0, TABLE, 5);
    await().atMost(BOUND).until(() -> standbyLeader().isPresent());
    String leader = standbyLeader().orElseThrow();
    String replica = leader.equals("dr0") ? "dr1" : "dr0";
    RegentAgent sl = dr.get(leader);
    // The standby leader streams from the primary cluster through its slot; the other member
    // cascades from the standby leader.
    await().atMost(BOUND).until(() -> replicationClients(main0).contains(leader));
    await().atMost(BOUND).until(() -> replicationClients(sl).contains(replica));
    await()
        .atMost(BOUND)
        .until(
            () ->
                Members.count(sl, TABLE) == rows && Members.count(dr.get(replica), TABLE) == rows);
    try (Connection c = main0.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT active FROM pg_replication_slots WHERE slot_name = 'dr_site'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
    assertThat(sl.status("/primary")).isEqualTo(503);
    assertThat(sl.status("/leader")).isEqualTo(200);
    assertThat(sl.status("/standby_leader")).isEqualTo(200);
    assertThat(dr.get(replica).status("/standby-leader")).isEqualTo(503);
    assertThat(role(sl)).isEqualTo("standby_leader");
    await().atMost(BOUND).until(() -> memberKeyRole("dr", leader).equals("standby_leader"));
    assertThat(etcd.get("/service/dr/initialize")).isPresent();
    // The configuration in force is kept beside the data, as Patroni keeps it.
    await()
        .atMost(BOUND)
        .until(
            () ->
                Files.exists(sl.dataDir.resolve("patroni.dynamic.json"))
                    && Files.readString(sl.dataDir.resolve("patroni.dynamic.json"))
                        .contains("\"standby_cluster\""));
    // synchronous_mode is ignored in a standby cluster: no sync key.
    assertThat(etcd.get("/service/dr/sync")).isEmpty();
    noPrimaryIn(dr);
    // New writes keep coming.
    long more = Members.write(main0, TABLE, 3);
    await().atMost(BOUND).until(() -> Members.count(dr.get(replica), TABLE) == more);
  }

  @Test
  void aFailoverInsideTheStandbyClusterMakesANewStandbyLeader() throws Exception {
    String old = standbyLeader().orElseThrow();
    String next = old.equals("dr0") ? "dr1" : "dr0";
    dr.get(old).crash();
    await()
        .atMost(BOUND)
        .untilAsserted(
            () -> {
              noPrimaryIn(Map.of(next, dr.get(next)));
              assertThat(standbyLeader()).hasValue(next);
            });
    await().atMost(BOUND).until(() -> replicationClients(main0).contains(next));
    long rows = Members.write(main0, TABLE, 4);
    await().atMost(BOUND).until(() -> Members.count(dr.get(next), TABLE) == rows);
    // The old standby leader comes back as a replica of the new one.
    dr.get(old).start();
    await().atMost(BOUND).until(() -> replicationClients(dr.get(next)).contains(old));
    await().atMost(BOUND).until(() -> Members.count(dr.get(old), TABLE) == rows);
    assertThat(standbyLeader()).hasValue(next);
    noPrimaryIn(dr);
  }

  @Test
  void aSwitchoverInsideTheStandbyClusterIgnoresSynchronousMode() throws Exception {
    // dr's bootstrap configuration asks for synchronous_mode, which a standby cluster ignores:
    // a switchover without a candidate must not wait for a synchronous standby.
    String old = standbyLeader().orElseThrow();
    String next = old.equals("dr0") ? "dr1" : "dr0";
    RegentAgent.Answer r =
        dr.get(old)
            .send("POST", "/switchover", "{\"leader\": \"" + old + "\"}", Duration.ofSeconds(60));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    await().atMost(BOUND).until(() -> standbyLeader().map(next::equals).orElse(false));
    await().atMost(BOUND).until(() -> replicationClients(dr.get(next)).contains(old));
    long rows = Members.write(main0, TABLE, 1);
    await().atMost(BOUND).until(() -> Members.count(dr.get(old), TABLE) == rows);
    noPrimaryIn(dr);
  }

  /** A cluster command line: {@code args} run against {@code scope}, through {@code member}. */
  interface ClusterCtl {
    String run(String scope, RegentAgent member, String... args) throws Exception;
  }

  @Test
  void demoteClusterAndPromoteClusterSwapTheRolesWithoutLosingData() throws Exception {
    swapTheSitesAndBack((scope, member, args) -> regentctl(member, args));
  }

  @Test
  void patronictl41DemotesAndPromotesClustersRunByRegent() throws Exception {
    String why = Patroni41.unavailableReason();
    org.junit.jupiter.api.Assumptions.assumeTrue(why == null, why);
    ClusterCtl patronictl =
        (scope, member, args) -> PlannedOperationsIT.run(patronictl41(scope, args), Map.of(), 5);
    swapTheSitesAndBack(patronictl);
    // Asking for the state a cluster is in is refused, as Patroni refuses it.
    List<String> again = patronictl41("main", "promote-cluster", "--force");
    Process p = new ProcessBuilder(again).redirectErrorStream(true).start();
    try {
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
      assertThat(p.exitValue()).as(out).isNotZero();
      assertThat(out).contains("Cluster is already in the required state");
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * A site switchover and back through {@code ctl}: main becomes a standby cluster of dr's standby
   * leader, dr is promoted; then the reverse, dr streaming through main's slot again.
   */
  private static void swapTheSitesAndBack(ClusterCtl ctl) throws Exception {
    String leader = standbyLeader().orElseThrow();
    RegentAgent sl = dr.get(leader);
    long before = Members.write(main0, TABLE, 5);
    await().atMost(BOUND).until(() -> Members.count(sl, TABLE) == before);

    // main becomes a standby cluster of dr's standby leader ...
    String out =
        ctl.run(
            "main",
            main0,
            "demote-cluster",
            "--force",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(sl.pgPort));
    assertThat(out).contains("cluster is successfully demoted");
    assertThat(memberKeyRole("main", "main0")).isEqualTo("standby_leader");
    assertThat(main0.status("/primary")).isEqualTo(503);
    assertThat(etcd.get("/service/main/leader")).hasValue("main0");

    // ... and dr becomes the primary cluster.
    out = ctl.run("dr", sl, "promote-cluster", "--force");
    assertThat(out).contains("cluster is successfully promoted");
    await().atMost(BOUND).until(() -> sl.status("/primary") == 200);
    long after = Members.write(sl, TABLE, 7);
    assertThat(after).isEqualTo(before + 7);
    // main follows the new primary without a re-clone: its rows came by streaming.
    await().atMost(BOUND).until(() -> Members.count(main0, TABLE) == after);
    await().atMost(BOUND).until(() -> replicationClients(sl).contains("main0"));
    for (RegentAgent a : dr.values()) {
      await().atMost(BOUND).until(() -> Members.count(a, TABLE) == after);
    }
    assertThat(main0.log()).doesNotContain("created the replica with");

    // And back: dr follows main again, main is the primary cluster.
    out =
        ctl.run(
            "dr",
            sl,
            "demote-cluster",
            "--force",
            "--host",
            "127.0.0.1",
            "--port",
            Integer.toString(main0.pgPort),
            "--primary-slot-name",
            "dr_site");
    assertThat(out).contains("cluster is successfully demoted");
    out = ctl.run("main", main0, "promote-cluster", "--force");
    assertThat(out).contains("cluster is successfully promoted");
    await().atMost(BOUND).until(() -> main0.status("/primary") == 200);
    long last = Members.write(main0, TABLE, 2);
    assertThat(last).isEqualTo(after + 2);
    for (RegentAgent a : dr.values()) {
      await().atMost(BOUND).until(() -> Members.count(a, TABLE) == last);
    }
    noPrimaryIn(dr);
    JsonNode patroni = sl.patroni().orElseThrow();
    assertThat(patroni.path("role").asText()).isEqualTo("standby_leader");
    // As the primary cluster, dr kept a sync key (its synchronous_mode held there); a standby
    // leader leaves the key be, as Patroni's does. Put back the store of a standby cluster that
    // never led, which the other cases start from.
    etcd.delete("/service/dr/sync");
  }

  /** The command line of patronictl 4.1 against {@code scope}. */
  static List<String> patronictl41(String scope, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Patroni41.patronictl().toString(),
                "-c",
                Patroni41.ctlConfig(base, scope, etcd.clientPort()).toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
