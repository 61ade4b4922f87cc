package io.pgregent.postgres;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.ParameterCatalog;
import io.pgregent.postgres.config.ParameterMerger;
import io.pgregent.postgres.config.ParameterSpec;
import io.pgregent.postgres.config.StandbySettings;
import io.pgregent.postgres.os.CommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration files of the local server ({@code postgresql.conf}, {@code pg_hba.conf}, {@code
 * pg_ident.conf}, the standby settings, the password file) and the state they are written from.
 */
final class ServerConfiguration {

  private final LocalNode node;
  private volatile ParameterCatalog catalog;
  private volatile DynamicPostgresConfig dynamic = DynamicPostgresConfig.EMPTY;

  /** The upstream of a standby, or null for a primary. */
  private volatile StandbySettings standby;

  /** A custom bootstrap's {@code recovery_conf}, in force until its recovery ends; else empty. */
  private volatile Map<String, String> bootstrapRecovery = Map.of();

  private volatile Optional<String> synchronousStandbyNames;

  ServerConfiguration(LocalNode node) {
    this.node = node;
    this.standby = readStandbySettings();
    this.synchronousStandbyNames = readConfLine("synchronous_standby_names");
  }

  DynamicPostgresConfig dynamic() {
    return dynamic;
  }

  StandbySettings standby() {
    return standby;
  }

  void standby(StandbySettings value) {
    standby = value;
  }

  /** Configures a standby without upstream: it never comes up as a primary by itself. */
  void writeStandbyWithoutUpstream() {
    standby = new StandbySettings("", null);
    write();
  }

  Map<String, String> bootstrapRecovery() {
    return bootstrapRecovery;
  }

  void bootstrapRecovery(Map<String, String> value) {
    bootstrapRecovery = value;
  }

  boolean configure(DynamicPostgresConfig config) {
    if (!config.equals(dynamic)) {
      node.clearWarnings();
    }
    this.dynamic = config;
    if (!node.initialized()) {
      return false;
    }
    boolean changed = write();
    if (changed && node.isRunning()) {
      reloadServer();
      node.callbacks.call(CallbackAction.ON_RELOAD, node.fileRole(true));
    }
    return changed;
  }

  boolean usePgRewind() {
    Boolean dynamicValue = dynamic.usePgRewind();
    return dynamicValue != null ? dynamicValue : node.settings.usePgRewind();
  }

  Map<String, String> effectiveParameters() {
    Map<String, String> p =
        ParameterMerger.merge(node.settings, dynamic, catalog(), node::warnOnce);
    synchronousStandbyNames.ifPresent(v -> p.put("synchronous_standby_names", v));
    if (dynamic.useSlots() && !dynamic.permanentLogicalSlots().isEmpty()) {
      // A replica's copies of logical slots stay usable only if the primary keeps the catalog rows
      // they need: its feedback carries their catalog_xmin.
      p.put("hot_standby_feedback", "on");
    }
    return p;
  }

  Optional<String> synchronousStandbyNames() {
    return synchronousStandbyNames;
  }

  long setSynchronousStandbyNames(Optional<String> value, Duration timeout) {
    Optional<String> previous = synchronousStandbyNames;
    synchronousStandbyNames = value;
    if (!node.initialized()) {
      return -1;
    }
    write();
    if (!node.isRunning()) {
      return -1;
    }
    reloadServer();
    String expected =
        value.orElseGet(() -> effectiveParameters().getOrDefault("synchronous_standby_names", ""));
    long[] lsn = {-1};
    String[] seen = {null};
    boolean applied =
        node.waiter.await(
            () -> {
              String row =
                  node.client
                      .queryStrings(
                          "SELECT (CASE WHEN pg_is_in_recovery() THEN -1"
                              + " ELSE (pg_current_wal_lsn() - '0/0')::bigint END)::text"
                              + " || '|' || current_setting('synchronous_standby_names')")
                      .get(0);
              int bar = row.indexOf('|');
              seen[0] = row.substring(bar + 1);
              lsn[0] = Long.parseLong(row.substring(0, bar));
              return expected.equals(seen[0]);
            },
            timeout);
    if (!applied) {
      // Not known to be in force: report the old value, so that the change is made (and waited
      // for) again rather than taken as done.
      synchronousStandbyNames = previous;
      throw new PostgresException(
          "synchronous_standby_names not in force after reload: '" + seen[0] + "'");
    }
    return lsn[0];
  }

  /** Rewrites the files with the configured {@code pg_hba}; returns whether they changed. */
  boolean write() {
    return write(node.settings.pgHba());
  }

  boolean write(List<String> pgHba) {
    return write(pgHba, false);
  }

  /**
   * @param forStart the server is about to start: a standby gets at least the values its primary's
   *     WAL needs ({@link HotStandbyFloor})
   */
  boolean write(List<String> pgHba, boolean forStart) {
    writePgpass();
    Map<String, String> parameters = effectiveParameters();
    if (forStart && standby != null && node.initialized()) {
      try {
        parameters = HotStandbyFloor.raise(parameters, node.controlData());
      } catch (PostgresException ex) {
        node.warnOnce("cannot read pg_controldata before starting: " + ex.getMessage());
      }
    }
    if (!bootstrapRecovery.isEmpty()) {
      parameters = new LinkedHashMap<>(parameters);
      parameters.putAll(bootstrapRecovery);
      if ("promote".equals(bootstrapRecovery.get("recovery_target_action"))) {
        // A hot standby refuses to recover WAL written with larger max_connections (and the
        // like) than ours; nobody queries it before the promotion anyway.
        parameters.put("hot_standby", "off");
      }
    }
    // Lines for a file the user names in hba_file / ident_file are not Regent's to write.
    return node.files.write(
        parameters,
        standby,
        ownFile(parameters, "hba_file") ? pgHba : List.of(),
        ownFile(parameters, "ident_file") ? node.settings.pgIdent() : List.of(),
        forStart);
  }

  private boolean ownFile(Map<String, String> parameters, String name) {
    String own = ParameterMerger.defaultFile(node.settings, name).toString();
    return own.equals(parameters.getOrDefault(name, own));
  }

  void writePgpass() {
    PgpassFile.write(
        node.settings.pgpass(),
        node.runner.user(),
        node.settings.replication(),
        node.settings.rewindCredentials(),
        node.settings.superuser());
  }

  /** Signals the running server to read its configuration files again. */
  void reloadServer() {
    CommandResult r = node.runner.run(node.pgCtl("reload"), Map.of(), node.settings.pgCtlTimeout());
    if (!r.succeeded()) {
      throw new PostgresException("pg_ctl reload failed: " + r.outputTail(3));
    }
  }

  /** Whether a change of {@code name} needs a server restart. */
  boolean needsRestart(String name) {
    return catalog().find(name).map(ParameterSpec::needsRestart).orElse(false);
  }

  private ParameterCatalog catalog() {
    ParameterCatalog c = catalog;
    if (c == null) {
      CommandResult r =
          node.runner.run(
              List.of(node.binaries.postgres().toString(), "--describe-config"),
              Map.of("LC_ALL", "C"),
              node.settings.pgCtlTimeout());
      if (!r.succeeded()) {
        throw new PostgresException("postgres --describe-config failed: " + r.outputTail(5));
      }
      c = ParameterCatalog.parseDescribeConfig(r.output());
      catalog = c;
    }
    return c;
  }

  private Optional<String> readConfLine(String name) {
    Path conf = node.files.postgresqlConf();
    if (!Files.exists(conf)) {
      return Optional.empty();
    }
    try {
      for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
        if (line.startsWith(name + " = ")) {
          return Optional.of(unquote(line.substring(name.length() + 3)));
        }
      }
    } catch (IOException ex) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private StandbySettings readStandbySettings() {
    Path conf = node.files.postgresqlConf();
    if (!node.files.standbySignal()) {
      return null;
    }
    if (!Files.exists(conf)) {
      return new StandbySettings("", null);
    }
    try {
      String conninfo = null;
      String slot = null;
      for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
        if (line.startsWith("primary_conninfo = ")) {
          conninfo = unquote(line.substring("primary_conninfo = ".length()));
        } else if (line.startsWith("primary_slot_name = ")) {
          slot = unquote(line.substring("primary_slot_name = ".length()));
        }
      }
      return new StandbySettings(conninfo == null ? "" : conninfo, slot);
    } catch (IOException ex) {
      return new StandbySettings("", null);
    }
  }

  private static String unquote(String v) {
    String s = v.strip();
    if (s.length() >= 2 && s.startsWith("'") && s.endsWith("'")) {
      s = s.substring(1, s.length() - 1).replace("''", "'").replace("\\\\", "\\");
    }
    return s;
  }
}
