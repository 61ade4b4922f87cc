package io.pgregent.postgres;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hot standby refuses to run with a lower {@code max_connections} (and the like) than the primary
 * whose WAL it replays, as recorded in {@code pg_controldata}: a standby starts with the higher
 * recorded values, and the next configuration write puts the cluster-wide ones back, which
 * PostgreSQL then reports as pending restart.
 */
final class HotStandbyFloor {

  private static final Logger log = LoggerFactory.getLogger(HotStandbyFloor.class);

  /** Each parameter and its {@code pg_controldata} field. */
  static final Map<String, String> FIELDS =
      Map.of(
          "max_connections", "max_connections setting",
          "max_worker_processes", "max_worker_processes setting",
          "max_wal_senders", "max_wal_senders setting",
          "max_prepared_transactions", "max_prepared_xacts setting",
          "max_locks_per_transaction", "max_locks_per_xact setting");

  private HotStandbyFloor() {}

  /** {@code parameters} with each value below the recorded one raised to it. */
  static Map<String, String> raise(Map<String, String> parameters, ControlData control) {
    Map<String, String> out = new LinkedHashMap<>(parameters);
    FIELDS.forEach(
        (name, field) -> {
          Long recorded = number(control.fields().get(field));
          Long configured = number(out.get(name));
          if (recorded != null && configured != null && recorded > configured) {
            log.info(
                "{} value in pg_controldata: {}, in the global configuration: {}."
                    + " pg_controldata value will be used. Setting 'Pending restart' flag",
                name,
                recorded,
                configured);
            out.put(name, Long.toString(recorded));
          }
        });
    return out;
  }

  private static Long number(String v) {
    if (v == null) {
      return null;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException ex) {
      return null;
    }
  }
}
