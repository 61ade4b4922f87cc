package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.config.DynamicConfig;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Patroni's {@code patch_config} merge and Regent's validation of the dynamic configuration. */
class DynamicConfigEditTests {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode json(String text) throws Exception {
    return (ObjectNode) JSON.readTree(text.replace('\'', '"'));
  }

  private static Optional<String> validate(ObjectNode config) {
    return DynamicConfig.parse(config).firstError();
  }

  @Test
  void patchMergesObjectsReplacesValuesAndNullDeletes() throws Exception {
    ObjectNode config =
        json(
            "{'ttl': 30, 'postgresql': {'use_slots': true, 'parameters': {'work_mem': '4MB',"
                + " 'max_connections': 100}}, 'pause': true}");
    boolean changed =
        ConfigEditController.patch(
            config,
            json(
                "{'ttl': 20, 'pause': null, 'postgresql': {'parameters': {'work_mem': null,"
                    + " 'shared_buffers': '1GB'}}, 'standby_cluster': {'host': 'h', 'port': null}}"));
    assertThat(changed).isTrue();
    assertThat(config)
        .isEqualTo(
            json(
                "{'ttl': 20, 'postgresql': {'use_slots': true, 'parameters': {'max_connections':"
                    + " 100, 'shared_buffers': '1GB'}}, 'standby_cluster': {'host': 'h', 'port':"
                    + " null}}"));
    assertThat(ConfigEditController.patch(config, json("{'ttl': 20, 'nothing': null}"))).isFalse();
  }

  @Test
  void aNewObjectKeepsItsNullsAsPatroniDoes() throws Exception {
    // Patroni's dcs_failsafe_mode feature declares physical slots this way.
    ObjectNode config = json("{'ttl': 30}");
    ConfigEditController.patch(config, json("{'slots': {'dcs_slot_1': null, 'postgres_0': null}}"));
    assertThat(DynamicConfig.parse(config).config().physicalSlots())
        .containsExactly("dcs_slot_1", "postgres_0");
    // Once the object exists, a null deletes its key.
    ConfigEditController.patch(config, json("{'slots': {'dcs_slot_1': null}}"));
    assertThat(DynamicConfig.parse(config).config().physicalSlots()).containsExactly("postgres_0");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // breaking loop_wait + 2 × retry_timeout ≤ ttl is not an error: agents adjust what is in
        // force
        "{'ttl': 10, 'loop_wait': 5}",
        "{'ttl': 20, 'loop_wait': 2, 'retry_timeout': 10}",
        "{'ttl': 10, 'loop_wait': 2, 'retry_timeout': 4}",
        "{'synchronous_mode': 'quorum'}",
        "{'synchronous_mode': 'QUORUM'}",
        // Patroni reads synchronous_mode as a boolean in any of its forms (1, "on", "yes")
        "{'synchronous_mode': 1}",
        "{'synchronous_mode': 'on'}",
        "{'synchronous_mode': true, 'synchronous_node_count': 2,"
            + " 'synchronous_mode_strict': true, 'maximum_lag_on_syncnode': 1048576}",
        "{'ttl': '30'}",
        "{'member_slots_ttl': '30min'}",
        // as in Patroni, keys Regent does not know are stored and passed on
        "{'ttl': 30, 'tll': 30}",
        "{'permanent_slots': {'keep': {'type': 'physical'}}}",
        // the configuration a Patroni 3.0.2 cluster stores (reference capture) is valid
        "{'ttl':30,'loop_wait':10,'retry_timeout':10,'maximum_lag_on_failover':1048576,"
            + "'synchronous_mode':false,'postgresql':{'use_pg_rewind':true,"
            + "'use_slots':true,'parameters':{'wal_level':'replica','hot_standby':'on',"
            + "'max_wal_senders':10,'max_replication_slots':10,"
            + "'wal_keep_size':'128MB'}}}"
      })
  void aValidEditPassesValidation(String edit) throws Exception {
    assertThat(validate(json(edit))).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "{'ttl': 'abc'}|ttl:",
        "{'loop_wait': -1}|loop_wait:",
        "{'retry_timeout': 'soon'}|retry_timeout:",
        "{'synchronous_mode': 'sometimes'}|synchronous_mode:",
        "{'postgresql': {'pg_hba': ['host all all 0/0 md5', 3]}}|postgresql.pg_hba",
      })
  void anInvalidEditsErrorStartsWithItsKey(String edit, String start) throws Exception {
    assertThat(validate(json(edit))).get().asString().startsWith(start);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "{'synchronous_node_count': 0}|synchronous_node_count",
        "{'synchronous_mode_strict': 'maybe'}|synchronous_mode_strict",
        "{'maximum_lag_on_syncnode': -2}|maximum_lag_on_syncnode",
      })
  void anInvalidEditsErrorNamesItsKey(String edit, String key) throws Exception {
    assertThat(validate(json(edit))).get().asString().contains(key);
  }

  @Test
  void scheduleAndVersionParsingFollowPatroni() {
    assertThat(ActionsController.postgresVersion("15.2")).hasValue(150002);
    assertThat(ActionsController.postgresVersion("9.6.24")).hasValue(90624);
    assertThat(ActionsController.postgresVersion("15")).isEmpty();
    assertThat(ServerVersion.parse("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"))
        .hasValue(150018);
    assertThat(PatroniMetrics.versionNumber()).isEqualTo("040104");
    assertThat(ClusterController.formatLsn(0x1_0000_00A0L)).isEqualTo("1/A0");
  }
}
