package io.pgregent.postgres;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.status.PostgresClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a reloaded local {@code postgresql:} section in force without restarting the agent, as
 * Patroni does: parameters, {@code pg_hba}, {@code pg_ident}, authentication, callbacks and the
 * other settings read when used. The files are rewritten and a running server reloads them; a
 * parameter that needs a restart is then reported by PostgreSQL as pending restart. What names the
 * server or where it lives (scope, name, data_dir, config_dir, listen, bin_dir, the OS user) keeps
 * its value until the agent restarts.
 */
final class SettingsReload {

  private static final Logger log = LoggerFactory.getLogger(SettingsReload.class);

  private final LocalNode node;
  private final ServerConfiguration config;

  SettingsReload(LocalNode node, ServerConfiguration config) {
    this.node = node;
    this.config = config;
  }

  /** Applies {@code requested}; returns whether anything changed. */
  boolean apply(PostgresSettings requested) {
    PostgresSettings old = node.settings;
    PostgresSettings fresh = keepFixed(old, requested);
    if (fresh.equals(old)) {
      return false;
    }
    boolean initialized = node.initialized();
    Map<String, String> before = initialized ? config.effectiveParameters() : Map.of();
    node.settings = fresh;
    if (!Objects.equals(old.callbacks(), fresh.callbacks())) {
      // A callback still running from before finishes: the next one starts from the new executor.
      node.callbacks = new CallbackExecutor(node.runner, fresh.callbacks(), fresh.scope());
    }
    if (!Objects.equals(old.superuser(), fresh.superuser())
        || !old.localSocketDirectory().equals(fresh.localSocketDirectory())
        || !old.connectTimeout().equals(fresh.connectTimeout())
        || !old.queryTimeout().equals(fresh.queryTimeout())) {
      PostgresClient previous = node.client;
      PostgresClient next = LocalNode.newClient(fresh);
      // The loop's bound on a status read holds for the new client too.
      next.probeTimeout(previous.probeTimeout());
      node.client = next;
      previous.close();
    }
    if (!initialized) {
      return true;
    }
    logChanges(before, config.effectiveParameters());
    boolean filesChanged = config.write();
    if (filesChanged && node.isRunning()) {
      log.info("Reloading PostgreSQL configuration.");
      config.reloadServer();
      node.callbacks.call(CallbackAction.ON_RELOAD, node.fileRole(true));
    }
    return true;
  }

  private void logChanges(Map<String, String> before, Map<String, String> after) {
    TreeSet<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    names.addAll(before.keySet());
    names.addAll(after.keySet());
    Map<String, String> b = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    b.putAll(before);
    Map<String, String> a = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    a.putAll(after);
    for (String name : names) {
      String from = b.get(name);
      String to = a.get(name);
      if (!Objects.equals(from, to)) {
        log.info(
            "Changed {} from '{}' to '{}'{}",
            name,
            from,
            to,
            config.needsRestart(name) ? " (restart might be required)" : "");
      }
    }
  }

  /** {@code requested} with the values that need an agent restart kept as they are. */
  private static PostgresSettings keepFixed(PostgresSettings old, PostgresSettings requested) {
    List<String> kept = new ArrayList<>();
    check(kept, "scope", old.scope(), requested.scope());
    check(kept, "name", old.name(), requested.name());
    check(kept, "postgresql.data_dir", old.dataDir(), requested.dataDir());
    check(kept, "postgresql.config_dir", old.configDirectory(), requested.configDirectory());
    check(kept, "postgresql.listen", old.listen(), requested.listen());
    check(kept, "postgresql.bin_dir", old.binDir(), requested.binDir());
    check(kept, "postgresql.bin_name", old.binName(), requested.binName());
    check(kept, "regent.postgres_user", old.postgresUser(), requested.postgresUser());
    if (!kept.isEmpty()) {
      log.warn(
          "{} changed: the new value takes effect when Regent restarts", String.join(", ", kept));
    }
    return requested.toBuilder()
        .scope(old.scope())
        .name(old.name())
        .dataDir(old.dataDir())
        .configDir(old.configDir())
        .listen(old.listen())
        .binDir(old.binDir())
        .binName(old.binName())
        .postgresUser(old.postgresUser())
        .build();
  }

  private static void check(List<String> kept, String key, Object old, Object requested) {
    if (!Objects.equals(old, requested)) {
      kept.add(key);
    }
  }
}
