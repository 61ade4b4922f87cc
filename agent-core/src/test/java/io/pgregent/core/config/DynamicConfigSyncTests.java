package io.pgregent.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.ha.SyncSettings;
import org.junit.jupiter.api.Test;

/** The synchronous replication keys of the store's config key, with Patroni's defaults. */
class DynamicConfigSyncTests {

  private static SyncSettings sync(String json) throws Exception {
    return DynamicConfig.parse(new ObjectMapper().readTree(json)).config().sync();
  }

  @Test
  void readsPatronisKeys() throws Exception {
    assertThat(sync("{}")).isEqualTo(SyncSettings.OFF);
    assertThat(sync("{\"synchronous_mode\": false}").mode()).isEqualTo(SyncSettings.Mode.OFF);
    assertThat(sync("{\"synchronous_mode\": true}").mode()).isEqualTo(SyncSettings.Mode.ON);
    assertThat(sync("{\"synchronous_mode\": \"on\"}").mode()).isEqualTo(SyncSettings.Mode.ON);
    assertThat(sync("{\"synchronous_mode\": \"quorum\"}").mode())
        .isEqualTo(SyncSettings.Mode.QUORUM);
    assertThat(
            sync(
                "{\"synchronous_mode\": true, \"synchronous_node_count\": 2,"
                    + " \"synchronous_mode_strict\": true, \"maximum_lag_on_syncnode\": 4096}"))
        .isEqualTo(new SyncSettings(SyncSettings.Mode.ON, 2, true, 4096));
  }
}
