package io.pgregent.postgres.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the parameters Regent writes to {@code postgresql.conf}, as Patroni does: local {@code
 * postgresql.parameters} override the cluster-wide ones, except the parameters a standby must not
 * have lower than its primary, which only the cluster-wide configuration sets (with Patroni's
 * defaults and minimums) so that every member agrees. {@code listen_addresses}, {@code port} and
 * {@code cluster_name} are Regent's; {@code hba_file} and {@code ident_file} too unless set.
 */
public final class ParameterMerger {

  private static final Logger log = LoggerFactory.getLogger(ParameterMerger.class);

  /** Cluster-wide parameters with Patroni's default and minimum (null: no minimum). */
  record ClusterWide(Object defaultValue, Integer min) {}

  static final Map<String, ClusterWide> CLUSTER_WIDE = clusterWide();

  private static Map<String, ClusterWide> clusterWide() {
    Map<String, ClusterWide> m = new LinkedHashMap<>();
    m.put("max_connections", new ClusterWide(100, 25));
    m.put("max_wal_senders", new ClusterWide(10, 3));
    m.put("max_prepared_transactions", new ClusterWide(0, 0));
    m.put("max_locks_per_transaction", new ClusterWide(64, 32));
    m.put("max_worker_processes", new ClusterWide(8, 2));
    m.put("max_replication_slots", new ClusterWide(10, 4));
    m.put("track_commit_timestamp", new ClusterWide("off", null));
    m.put("wal_level", new ClusterWide("replica", null));
    m.put("wal_log_hints", new ClusterWide("on", null));
    m.put("hot_standby", new ClusterWide("on", null));
    m.put("wal_keep_size", new ClusterWide("128MB", null));
    return Map.copyOf(m);
  }

  private static final java.util.Set<String> OWNED =
      java.util.Set.of(
          "listen_addresses",
          "port",
          "cluster_name",
          "data_directory",
          "config_file",
          "primary_conninfo",
          "primary_slot_name");

  private ParameterMerger() {}

  /**
   * The validated parameters, canonical names, sorted case-insensitively.
   *
   * @param settings the local settings
   * @param dynamic the cluster-wide configuration
   * @param catalog the server's parameters
   */
  public static Map<String, String> merge(
      PostgresSettings settings, DynamicPostgresConfig dynamic, ParameterCatalog catalog) {
    return merge(settings, dynamic, catalog, log::warn);
  }

  /**
   * As {@link #merge(PostgresSettings, DynamicPostgresConfig, ParameterCatalog)}, reporting each
   * ignored parameter to {@code warn}.
   */
  public static Map<String, String> merge(
      PostgresSettings settings,
      DynamicPostgresConfig dynamic,
      ParameterCatalog catalog,
      java.util.function.Consumer<String> warn) {
    Map<String, Object> merged = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    Map<String, String> clusterWide = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    CLUSTER_WIDE.forEach((k, v) -> clusterWide.put(k, ParameterCatalog.render(v.defaultValue())));
    for (Map.Entry<String, Object> e : dynamic.parameters().entrySet()) {
      String key = e.getKey().toLowerCase(Locale.ROOT);
      if (OWNED.contains(key)) {
        warn.accept("/config postgresql.parameters: ignoring " + e.getKey() + ", Regent sets it");
      } else if (CLUSTER_WIDE.containsKey(key)) {
        acceptClusterWide(key, e.getValue(), catalog, warn).ifPresent(v -> clusterWide.put(key, v));
      } else {
        merged.put(e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, Object> e : settings.parameters().entrySet()) {
      String key = e.getKey().toLowerCase(Locale.ROOT);
      if (OWNED.contains(key)) {
        warn.accept("postgresql.parameters: ignoring " + e.getKey() + ", Regent sets it");
      } else if (CLUSTER_WIDE.containsKey(key)) {
        warn.accept(
            "postgresql.parameters: ignoring "
                + e.getKey()
                + ", it must be the same on every member: set it in the cluster-wide"
                + " configuration (bootstrap.dcs / /config postgresql.parameters)");
      } else {
        merged.remove(e.getKey());
        merged.put(e.getKey(), e.getValue());
      }
    }
    Map<String, String> result = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    result.putAll(catalog.validate(merged, "postgresql.parameters", warn));
    clusterWide.forEach(
        (k, v) -> {
          if (catalog.find(k).isPresent()) {
            result.put(k, v);
          }
        });
    result.put("listen_addresses", settings.listenAddresses());
    result.put("port", Integer.toString(settings.port()));
    result.put("cluster_name", settings.scope());
    // hba_file and ident_file name the user's own files (relative to config_dir); without them
    // Regent's pg_hba.conf and pg_ident.conf in config_dir.
    java.nio.file.Path configDir = settings.configDirectory();
    for (String file : java.util.List.of("hba_file", "ident_file")) {
      String given = result.get(file);
      String path =
          given == null || given.isBlank()
              ? defaultFile(settings, file).toString()
              : configDir.resolve(given.strip()).normalize().toString();
      result.put(file, path);
    }
    return result;
  }

  /** Regent's own {@code hba_file} or {@code ident_file}: the file it writes in config_dir. */
  public static java.nio.file.Path defaultFile(PostgresSettings settings, String parameter) {
    return settings
        .configDirectory()
        .resolve(parameter.equals("hba_file") ? "pg_hba.conf" : "pg_ident.conf");
  }

  private static java.util.Optional<String> acceptClusterWide(
      String key,
      Object value,
      ParameterCatalog catalog,
      java.util.function.Consumer<String> warn) {
    java.util.Optional<String> problem = catalog.problem(key, value);
    ClusterWide cw = CLUSTER_WIDE.get(key);
    if (problem.isEmpty() && cw.min() != null) {
      try {
        if (Long.parseLong(ParameterCatalog.render(value).strip()) < cw.min()) {
          problem = java.util.Optional.of("below Regent's minimum " + cw.min());
        }
      } catch (NumberFormatException ex) {
        problem = java.util.Optional.of("not an integer");
      }
    }
    if (problem.isPresent()) {
      warn.accept(
          "/config postgresql.parameters: ignoring "
              + key
              + "="
              + value
              + ": "
              + problem.get()
              + "; using "
              + cw.defaultValue());
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(ParameterCatalog.render(value));
  }
}
