package io.pgregent.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.ha.SyncSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DynamicConfigTests {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static DynamicConfig.Result parse(String json) throws Exception {
    return DynamicConfig.parse(JSON.readTree(json));
  }

  @Test
  void anEmptyDocumentTakesPatronisDefaults() {
    DynamicConfig c = DynamicConfig.defaults();
    assertThat(c.ttl()).isEqualTo(30);
    assertThat(c.loopWait()).isEqualTo(10);
    assertThat(c.retryTimeout()).isEqualTo(10);
    assertThat(c.maximumLagOnFailover()).isEqualTo(1_048_576L);
    assertThat(c.maximumLagOnSyncnode()).isEqualTo(-1);
    assertThat(c.maxTimelinesHistory()).isZero();
    assertThat(c.primaryStartTimeout()).isEqualTo(300);
    assertThat(c.primaryStopTimeout()).isZero();
    assertThat(c.synchronousMode()).isEqualTo(SyncSettings.Mode.OFF);
    assertThat(c.synchronousNodeCount()).isEqualTo(1);
    assertThat(c.synchronousModeStrict() || c.failsafeMode() || c.checkTimeline() || c.pause())
        .isFalse();
    assertThat(c.postgresql().useSlots()).isTrue();
    assertThat(c.postgresql().usePgRewind()).isNull();
    assertThat(c.memberSlotsTtl()).isEqualTo(1800);
    assertThat(c.slots()).isEmpty();
    assertThat(c.standbyCluster()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "true|ON",
        "false|OFF",
        "'\"on\"'|ON",
        "'\"On\"'|ON",
        "'\"true\"'|ON",
        "'\"yes\"'|ON",
        "1|ON",
        "'\"1\"'|ON",
        "'\"off\"'|OFF",
        "'\"false\"'|OFF",
        "0|OFF",
        "'\"quorum\"'|QUORUM",
        "'\"QUORUM\"'|QUORUM",
        "null|OFF"
      })
  void synchronousModeIsReadInEveryFormPatroniAccepts(String value, SyncSettings.Mode mode)
      throws Exception {
    DynamicConfig.Result r = parse("{\"synchronous_mode\": " + value + "}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.config().synchronousMode()).isEqualTo(mode);
  }

  @Test
  void numbersWrittenAsStringsAreNumbers() throws Exception {
    DynamicConfig.Result r =
        parse(
            "{\"ttl\": \"20\", \"loop_wait\": \" 2 \", \"retry_timeout\": 5.0,"
                + " \"maximum_lag_on_failover\": \"1000\", \"synchronous_node_count\": \"2\","
                + " \"member_slots_ttl\": \"30min\", \"pause\": \"on\"}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.config().ttl()).isEqualTo(20);
    assertThat(r.config().loopWait()).isEqualTo(2);
    assertThat(r.config().retryTimeout()).isEqualTo(5);
    assertThat(r.config().maximumLagOnFailover()).isEqualTo(1000);
    assertThat(r.config().synchronousNodeCount()).isEqualTo(2);
    assertThat(r.config().memberSlotsTtl()).isEqualTo(1800);
    assertThat(r.config().pause()).isTrue();
  }

  @Test
  void timingsThatBreakTheRuleAreAdjustedWithAWarningNotRefused() throws Exception {
    DynamicConfig.Result r = parse("{\"ttl\": 20, \"retry_timeout\": 10, \"loop_wait\": 2}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.config().loopWait()).isEqualTo(1);
    assertThat(r.config().retryTimeout()).isEqualTo(9);
    assertThat(r.warnings()).extracting(ConfigError::key).contains("ttl");
    assertThat(r.config().data().get("retry_timeout").asInt()).isEqualTo(10);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"postgresql\": \"text\"}|postgresql",
        "{\"pause\": {\"loop_wait\": 1.5}}|pause",
        "{\"maximum_lag_on_failover\": 9223372036854775808}|maximum_lag_on_failover",
        "{\"failsafe_mode\": \"%s%s%n\"}|failsafe_mode",
        "{\"ttl\": \"abc\"}|ttl",
        "{\"ttl\": 4}|ttl",
        "{\"ttl\": true}|ttl",
        "{\"loop_wait\": 1.5}|loop_wait",
        "{\"retry_timeout\": 0}|retry_timeout",
        "{\"ttl\": 99999999999}|ttl",
        "{\"synchronous_mode\": \"sometimes\"}|synchronous_mode",
        "{\"synchronous_node_count\": 0}|synchronous_node_count",
        "{\"maximum_lag_on_syncnode\": -2}|maximum_lag_on_syncnode",
        "{\"member_slots_ttl\": \"soon\"}|member_slots_ttl",
        "{\"postgresql\": {\"use_slots\": \"maybe\"}}|postgresql.use_slots",
        "{\"postgresql\": {\"use_pg_rewind\": \"false\"}}|postgresql.use_pg_rewind",
        "{\"postgresql\": {\"parameters\": []}}|postgresql.parameters",
        "{\"postgresql\": {\"parameters\": {\"a\": {}}}}|postgresql.parameters.a",
        "{\"postgresql\": {\"pg_hba\": \"host all\"}}|postgresql.pg_hba",
        "{\"standby_cluster\": 5}|standby_cluster",
        "{\"standby_cluster\": {\"port\": \"x\"}}|standby_cluster.port",
        "{\"slots\": {\"s\": 1}}|slots.s",
        "{\"permanent_slots\": {\"s\": {\"type\": \"other\"}}}|permanent_slots.s.type",
        "{\"slots\": {\"s\": {\"type\": \"logical\", \"plugin\": \"p\"}}}|slots.s.database",
        "{\"ignore_slots\": {}}|ignore_slots",
        "{\"primary_start_timeout\": -1}|primary_start_timeout",
        "{\"master_start_timeout\": \"x\"}|master_start_timeout"
      })
  void aMalformedValueIsAnErrorNamingItsKey(String json, String key) throws Exception {
    DynamicConfig.Result r = parse(json);
    assertThat(r.valid()).isFalse();
    assertThat(r.errors()).extracting(ConfigError::key).containsExactly(key);
    assertThat(r.firstError()).get().asString().startsWith(key + ": ");
  }

  @Test
  void aMalformedValueTakesItsDefaultAndTheOthersStand() throws Exception {
    DynamicConfig.Result r = parse("{\"ttl\": \"soon\", \"loop_wait\": 3}");
    assertThat(r.config().ttl()).isEqualTo(30);
    assertThat(r.config().loopWait()).isEqualTo(3);
  }

  @Test
  void unknownKeysAreKeptAndPassedOnWithAWarning() throws Exception {
    DynamicConfig.Result r = parse("{\"something_new\": {\"a\": 1}, \"ttl\": 20}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).extracting(ConfigError::key).contains("something_new");
    assertThat(r.config().data().path("something_new").path("a").asInt()).isEqualTo(1);
  }

  @Test
  void permanentSlotsAreReadUnderEveryName() throws Exception {
    for (String name : new String[] {"slots", "permanent_slots", "permanent_replication_slots"}) {
      DynamicConfig.Result r =
          parse(
              "{\""
                  + name
                  + "\": {\"keep\": {\"type\": \"physical\"}, \"plain\": null,"
                  + " \"cdc\": {\"type\": \"logical\", \"database\": \"db\", \"plugin\": \"pgoutput\"}}}");
      assertThat(r.errors()).isEmpty();
      assertThat(r.config().physicalSlots()).containsExactly("keep", "plain");
      assertThat(r.config().slots()).containsKeys("keep", "plain", "cdc");
    }
  }

  @Test
  void anEmptySlotValueIsAPhysicalSlotAsPatroniReadsIt() throws Exception {
    // Patroni's own acceptance test writes {"slots": {"test_physical": 0}}.
    DynamicConfig.Result r =
        parse(
            "{\"slots\": {\"zero\": 0, \"empty\": \"\", \"no\": false,"
                + " \"untyped\": {\"database\": \"db\", \"plugin\": \"pgoutput\"}}}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.config().physicalSlots()).containsExactly("zero", "empty", "no");
    assertThat(r.config().logicalSlots()).containsOnlyKeys("untyped");
    assertThat(parse("{\"slots\": {\"bad\": 5}}").errors())
        .extracting(ConfigError::key)
        .containsExactly("slots.bad");
  }

  @Test
  void primaryStartTimeoutFallsBackToItsOldName() throws Exception {
    DynamicConfig.Result r = parse("{\"master_start_timeout\": 20}");
    assertThat(r.config().primaryStartTimeout()).isEqualTo(20);
    assertThat(r.warnings()).extracting(ConfigError::key).contains("master_start_timeout");
    assertThat(parse("{\"master_start_timeout\": 20, \"primary_start_timeout\": 5}").config())
        .extracting(DynamicConfig::primaryStartTimeout)
        .isEqualTo(5);
  }

  @Test
  void aStandbyClusterNeedsAHostAPortOrARestoreCommand() throws Exception {
    DynamicConfig c =
        parse("{\"standby_cluster\": {\"host\": \"10.0.0.1\"}, \"synchronous_mode\": true}")
            .config();
    assertThat(c.isStandbyCluster()).isTrue();
    assertThat(c.isSynchronousMode()).isFalse();
    assertThat(parse("{\"standby_cluster\": {}}").config().isStandbyCluster()).isFalse();
  }

  @Test
  void theStandbyClusterSectionIsReadOnceIntoItsFields() throws Exception {
    DynamicConfig c =
        parse(
                "{\"standby_cluster\": {\"host\": \"a.example, b.example\", \"port\": \"5433\","
                    + " \"primary_slot_name\": \"pm_1\", \"create_replica_methods\":"
                    + " [\"backup_restore\", \"basebackup\"], \"restore_command\": \"cp x %p\","
                    + " \"archive_cleanup_command\": \"true\", \"recovery_min_apply_delay\": 60},"
                    + " \"synchronous_mode\": \"on\"}")
            .config();
    StandbyCluster s = c.standby().orElseThrow();
    assertThat(s.hosts()).containsExactly("a.example", "b.example");
    assertThat(s.port()).hasValue(5433);
    assertThat(s.primarySlotName()).hasValue("pm_1");
    assertThat(s.createReplicaMethods()).containsExactly("backup_restore", "basebackup");
    assertThat(s.restoreCommand()).hasValue("cp x %p");
    assertThat(s.archiveCleanupCommand()).hasValue("true");
    assertThat(s.recoveryMinApplyDelay()).hasValue("60");
    assertThat(s.streams()).isTrue();
    // The standby leader takes no writes: synchronous_mode is ignored, as in Patroni.
    assertThat(c.sync()).isEqualTo(SyncSettings.OFF);
    assertThat(c.haSettings("pg1", false, 1).inStandbyCluster()).isTrue();
    assertThat(DynamicConfig.defaults().haSettings("pg1", false, 1).inStandbyCluster()).isFalse();
  }

  @Test
  void aMalformedStandbyClusterValueNamesItsKey() throws Exception {
    DynamicConfig.Result r =
        parse("{\"standby_cluster\": {\"host\": \"h\", \"create_replica_methods\": [1]}}");
    assertThat(r.firstError())
        .hasValueSatisfying(
            e -> assertThat(e).startsWith("standby_cluster.create_replica_methods"));
    assertThat(parse("{\"standby_cluster\": {\"host\": \"h\", \"hots\": 1}}").warnings())
        .anySatisfy(w -> assertThat(w.toString()).startsWith("standby_cluster.hots"));
  }

  @Test
  void postgresqlSectionIsTyped() throws Exception {
    DynamicConfig c =
        parse(
                "{\"postgresql\": {\"use_pg_rewind\": true, \"use_slots\": \"off\","
                    + " \"parameters\": {\"max_connections\": 100, \"wal_level\": \"replica\","
                    + " \"hot_standby\": true, \"gone\": null}, \"pg_hba\": [\"local all all trust\"]}}")
            .config();
    assertThat(c.postgresql().usePgRewind()).isTrue();
    assertThat(c.postgresql().useSlots()).isFalse();
    assertThat(c.postgresql().parameters())
        .containsOnlyKeys("max_connections", "wal_level", "hot_standby");
    assertThat(c.postgresql().pgHba()).containsExactly("local all all trust");
  }

  @Test
  void anythingButAnObjectIsOneError() throws Exception {
    JsonNode list = JSON.readTree("[1, 2]");
    assertThat(DynamicConfig.parse(list).errors())
        .extracting(ConfigError::key)
        .containsExactly("config");
  }
}
