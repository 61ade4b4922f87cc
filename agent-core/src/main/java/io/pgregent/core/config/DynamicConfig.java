package io.pgregent.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.SyncSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster-wide dynamic configuration (the store's {@code config} key, or {@code bootstrap.dcs}
 * before the cluster has one), read once with Patroni's value forms and defaults. The document is
 * kept whole in {@link #data()}: keys Regent does not know are stored and passed on as written.
 *
 * @param data the document as written
 * @param timings ttl, loop_wait and retry_timeout in force (see {@link Timings#adjust})
 * @param maximumLagOnFailover bytes a member may lag and still join the leader race
 * @param maximumLagOnSyncnode bytes a synchronous standby may lag before it is replaced, -1 off
 * @param maxTimelinesHistory lines kept in {@code /history}, 0 for all
 * @param primaryStartTimeout seconds a crashed primary may take to recover (or {@code
 *     master_start_timeout})
 * @param primaryStopTimeout seconds a stop may take in synchronous mode, 0 for no limit
 * @param synchronousMode off, on or quorum
 * @param synchronousModeStrict commits wait rather than fall back to asynchronous
 * @param synchronousNodeCount how many synchronous standbys, at least 1
 * @param failsafeMode keep the primary while every member answers and the store does not
 * @param checkTimeline keep members on an older timeline out of the leader race
 * @param pause maintenance mode
 * @param postgresql the {@code postgresql} section
 * @param standbyCluster the {@code standby_cluster} section, when set
 * @param slots permanent slots ({@code permanent_replication_slots}, {@code permanent_slots} or
 *     {@code slots}, the first one set), by name
 * @param ignoreSlots matchers of slots managed elsewhere
 * @param memberSlotsTtl seconds the slot of an absent member is kept
 */
public record DynamicConfig(
    ObjectNode data,
    Timings timings,
    long maximumLagOnFailover,
    long maximumLagOnSyncnode,
    int maxTimelinesHistory,
    int primaryStartTimeout,
    int primaryStopTimeout,
    SyncSettings.Mode synchronousMode,
    boolean synchronousModeStrict,
    int synchronousNodeCount,
    boolean failsafeMode,
    boolean checkTimeline,
    boolean pause,
    Postgresql postgresql,
    Optional<ObjectNode> standbyCluster,
    Map<String, JsonNode> slots,
    List<JsonNode> ignoreSlots,
    int memberSlotsTtl) {

  public static final long DEFAULT_MAXIMUM_LAG_ON_FAILOVER = 1_048_576L;
  public static final int DEFAULT_PRIMARY_START_TIMEOUT = 300;
  public static final int DEFAULT_MEMBER_SLOTS_TTL = 1800;

  /** The largest ttl, loop_wait or retry_timeout: keeps their sums and millisecond forms exact. */
  public static final int MAX_SECONDS = Integer.MAX_VALUE / 4;

  /** Keys Patroni or Regent know at the top level; others are passed on with a warning. */
  static final Set<String> KNOWN =
      Set.of(
          "ttl",
          "loop_wait",
          "retry_timeout",
          "maximum_lag_on_failover",
          "maximum_lag_on_syncnode",
          "max_timelines_history",
          "primary_start_timeout",
          "primary_stop_timeout",
          "master_start_timeout",
          "master_stop_timeout",
          "primary_race_backoff",
          "synchronous_mode",
          "synchronous_mode_strict",
          "synchronous_node_count",
          "failsafe_mode",
          "check_timeline",
          "pause",
          "postgresql",
          "standby_cluster",
          "slots",
          "permanent_slots",
          "permanent_replication_slots",
          "ignore_slots",
          "member_slots_ttl",
          "citus",
          "regent");

  /** Keys Patroni knows in the dynamic {@code postgresql} section. */
  static final Set<String> POSTGRESQL_KNOWN =
      Set.of(
          "use_pg_rewind",
          "use_slots",
          "remove_data_directory_on_rewind_failure",
          "remove_data_directory_on_diverged_timelines",
          "parameters",
          "parameters_primary",
          "parameters_replica",
          "parameters_standby_leader",
          "recovery_conf",
          "pg_hba",
          "pg_hba_primary",
          "pg_hba_replica",
          "pg_hba_standby_leader",
          "pg_ident",
          "pg_ident_primary",
          "pg_ident_replica",
          "pg_ident_standby_leader");

  /** Keys Patroni knows in the {@code standby_cluster} section. */
  static final Set<String> STANDBY_CLUSTER_KNOWN =
      Set.of(
          "host",
          "port",
          "primary_slot_name",
          "create_replica_methods",
          "restore_command",
          "archive_cleanup_command",
          "recovery_min_apply_delay");

  public DynamicConfig {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(timings, "timings");
    Objects.requireNonNull(synchronousMode, "synchronousMode");
    Objects.requireNonNull(postgresql, "postgresql");
    standbyCluster = standbyCluster == null ? Optional.empty() : standbyCluster;
    slots = Collections.unmodifiableMap(new LinkedHashMap<>(slots));
    ignoreSlots = List.copyOf(ignoreSlots);
  }

  /**
   * The {@code postgresql} section of the dynamic configuration.
   *
   * @param usePgRewind {@code use_pg_rewind}, null when not set
   * @param useSlots {@code use_slots}, true unless set otherwise
   * @param parameters GUCs for every member, values as strings, numbers or booleans
   * @param pgHba lines of {@code pg_hba.conf}, empty when not set
   * @param pgIdent lines of {@code pg_ident.conf}, empty when not set
   * @param recoveryConf extra recovery settings
   */
  public record Postgresql(
      Boolean usePgRewind,
      boolean useSlots,
      Map<String, Object> parameters,
      List<String> pgHba,
      List<String> pgIdent,
      Map<String, Object> recoveryConf) {

    public static final Postgresql DEFAULTS =
        new Postgresql(null, true, Map.of(), List.of(), List.of(), Map.of());

    public Postgresql {
      parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
      pgHba = List.copyOf(pgHba);
      pgIdent = List.copyOf(pgIdent);
      recoveryConf = Collections.unmodifiableMap(new LinkedHashMap<>(recoveryConf));
    }
  }

  /**
   * What one reading found.
   *
   * @param config the configuration, with the default in place of every value in {@code errors}
   * @param errors values that are malformed or out of range, each naming its key
   * @param warnings values in force that differ from what was written, old and unknown keys
   */
  public record Result(DynamicConfig config, List<ConfigError> errors, List<ConfigError> warnings) {
    public Result {
      errors = List.copyOf(errors);
      warnings = List.copyOf(warnings);
    }

    public boolean valid() {
      return errors.isEmpty();
    }

    /** The first error, as {@code key: message}. */
    public Optional<String> firstError() {
      return errors.stream().findFirst().map(ConfigError::toString);
    }
  }

  /** Patroni's defaults for an empty document. */
  public static DynamicConfig defaults() {
    return parse(JsonNodeFactory.instance.objectNode()).config();
  }

  /**
   * Reads a dynamic configuration document. Whole numbers may be written as numbers or numeric
   * strings, booleans as Patroni reads them ({@code true}/{@code false}, {@code on}/{@code off},
   * {@code yes}/{@code no}, {@code 1}/{@code 0}), {@code synchronous_mode} also as {@code quorum};
   * {@code null} means not set.
   *
   * @param tree the document; anything but an object is one error
   */
  public static Result parse(JsonNode tree) {
    if (tree == null || tree.isNull() || tree.isMissingNode()) {
      tree = JsonNodeFactory.instance.objectNode();
    }
    Reader r = new Reader();
    if (!tree.isObject()) {
      r.error("config", "expected an object (key: value), not " + describe(tree));
      tree = JsonNodeFactory.instance.objectNode();
    }
    ObjectNode data = ((ObjectNode) tree).deepCopy();
    return r.read(data);
  }

  /** {@code synchronous_mode} on or quorum, and not a standby cluster (as Patroni decides). */
  public boolean isSynchronousMode() {
    return synchronousMode != SyncSettings.Mode.OFF && !isStandbyCluster();
  }

  public boolean isQuorumCommitMode() {
    return synchronousMode == SyncSettings.Mode.QUORUM;
  }

  /** A {@code standby_cluster} section naming a host, a port or a restore_command. */
  public boolean isStandbyCluster() {
    return standbyCluster
        .map(
            s ->
                List.of("host", "port", "restore_command").stream()
                    .map(s::get)
                    .anyMatch(DynamicConfig::truthy))
        .orElse(false);
  }

  public int ttl() {
    return timings.ttl();
  }

  public int loopWait() {
    return timings.loopWait();
  }

  public int retryTimeout() {
    return timings.retryTimeout();
  }

  /** The names of the permanent physical slots. */
  public Set<String> physicalSlots() {
    Set<String> names = new LinkedHashSet<>();
    slots.forEach(
        (name, slot) -> {
          if (!slot.path("type").asText("physical").equals("logical")) {
            names.add(name);
          }
        });
    return names;
  }

  /**
   * The permanent logical slots: name to its {@code database} and {@code plugin} (a slot is logical
   * when its type says so, or when it names both).
   */
  public Map<String, Map<String, String>> logicalSlots() {
    Map<String, Map<String, String>> out = new java.util.TreeMap<>();
    slots.forEach(
        (name, slot) -> {
          String database = slot.path("database").asText("");
          String plugin = slot.path("plugin").asText("");
          if (slot.path("type").asText("logical").equals("logical")
              && !database.isEmpty()
              && !plugin.isEmpty()) {
            out.put(name, Map.of("database", database, "plugin", plugin));
          }
        });
    return out;
  }

  /** The {@code standby_cluster} section read, when this is a standby cluster. */
  public Optional<StandbyCluster> standby() {
    return isStandbyCluster() ? standbyCluster.map(StandbyCluster::of) : Optional.empty();
  }

  /**
   * {@code synchronous_mode} and the settings that go with it; off in a standby cluster (its leader
   * takes no writes to wait for).
   */
  public SyncSettings sync() {
    if (isStandbyCluster()) {
      return SyncSettings.OFF;
    }
    return new SyncSettings(
        synchronousMode, synchronousNodeCount, synchronousModeStrict, maximumLagOnSyncnode);
  }

  /** What the HA decision works to, for this member. */
  public HaSettings haSettings(String member, boolean nofailover, int failoverPriority) {
    return new HaSettings(
            member,
            ttl() * 1000L,
            loopWait() * 1000L,
            retryTimeout() * 1000L,
            maximumLagOnFailover,
            // A standby cluster's timeline follows the remote primary's, not a history of its own.
            checkTimeline && !isStandbyCluster(),
            primaryStartTimeout * 1000L,
            pause,
            failsafeMode,
            nofailover,
            failoverPriority,
            sync())
        .withStandbyCluster(standby().orElse(null));
  }

  private static boolean truthy(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return false;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isNumber()) {
      return n.doubleValue() != 0;
    }
    if (n.isContainerNode()) {
      return n.size() > 0;
    }
    return !n.asText().isEmpty();
  }

  static String describe(JsonNode n) {
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "a list";
    }
    String text = n.toString();
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }

  /** Patroni's boolean forms; null when the value is none of them. */
  public static Boolean parseBool(JsonNode n) {
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (!n.isTextual() && !n.isIntegralNumber()) {
      return null;
    }
    return switch (n.asText().strip().toLowerCase(Locale.ROOT)) {
      case "on", "true", "yes", "1" -> Boolean.TRUE;
      case "off", "false", "no", "0" -> Boolean.FALSE;
      default -> null;
    };
  }

  /** One reading: collects errors and warnings, each naming its key. */
  private static final class Reader {

    private static final Pattern WHOLE = Pattern.compile("[+-]?\\d{1,19}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|min|h|d)?");

    private final List<ConfigError> errors = new ArrayList<>();
    private final List<ConfigError> warnings = new ArrayList<>();

    void error(String key, String message) {
      errors.add(new ConfigError(key, message));
    }

    void warn(String key, String message) {
      warnings.add(new ConfigError(key, message));
    }

    Result read(ObjectNode c) {
      long ttl = whole(c, "ttl", Timings.MIN_TTL, MAX_SECONDS, Timings.DEFAULT_TTL);
      long loopWait =
          whole(c, "loop_wait", Timings.MIN_LOOP_WAIT, MAX_SECONDS, Timings.DEFAULT_LOOP_WAIT);
      long retry =
          whole(
              c,
              "retry_timeout",
              Timings.MIN_RETRY_TIMEOUT,
              MAX_SECONDS,
              Timings.DEFAULT_RETRY_TIMEOUT);
      belowPatroni(c, "ttl", ttl, Timings.PATRONI_MIN_TTL);
      belowPatroni(c, "retry_timeout", retry, Timings.PATRONI_MIN_RETRY_TIMEOUT);
      Timings timings = Timings.adjust(ttl, loopWait, retry);
      timings.warning().ifPresent(w -> warn("ttl", w));

      long lagOnFailover =
          whole(c, "maximum_lag_on_failover", 0, Long.MAX_VALUE, DEFAULT_MAXIMUM_LAG_ON_FAILOVER);
      long lagOnSyncnode = whole(c, "maximum_lag_on_syncnode", -1, Long.MAX_VALUE, -1);
      int timelines = (int) whole(c, "max_timelines_history", 0, Integer.MAX_VALUE, 0);
      int startTimeout =
          renamed(
              c, "primary_start_timeout", "master_start_timeout", DEFAULT_PRIMARY_START_TIMEOUT);
      int stopTimeout = renamed(c, "primary_stop_timeout", "master_stop_timeout", 0);
      whole(c, "primary_race_backoff", 0, Integer.MAX_VALUE, 0);
      int nodeCount = (int) whole(c, "synchronous_node_count", 1, Integer.MAX_VALUE, 1);

      SyncSettings.Mode mode = syncMode(c);
      boolean strict = bool(c, "synchronous_mode_strict", false);
      boolean failsafe = bool(c, "failsafe_mode", false);
      boolean checkTimeline = bool(c, "check_timeline", false);
      boolean pause = bool(c, "pause", false);
      int memberSlotsTtl = memberSlotsTtl(c);
      Postgresql pg = postgresql(c);
      Optional<ObjectNode> standby = standbyCluster(c);
      Map<String, JsonNode> slots = slots(c);
      List<JsonNode> ignore = ignoreSlots(c);
      c.fieldNames()
          .forEachRemaining(
              k -> {
                if (!KNOWN.contains(k)) {
                  warn(k, "unknown key: stored and passed on as written");
                }
              });

      DynamicConfig config =
          new DynamicConfig(
              c,
              timings,
              lagOnFailover,
              lagOnSyncnode,
              timelines,
              startTimeout,
              stopTimeout,
              mode,
              strict,
              nodeCount,
              failsafe,
              checkTimeline,
              pause,
              pg,
              standby,
              slots,
              ignore,
              memberSlotsTtl);
      return new Result(config, errors, warnings);
    }

    private void belowPatroni(ObjectNode c, String key, long value, int patroniMin) {
      if (present(c.get(key)) && value < patroniMin) {
        warn(
            key,
            value
                + " is below Patroni's minimum of "
                + patroniMin
                + " (Patroni would raise it to "
                + patroniMin
                + "; Regent uses it as written)");
      }
    }

    private int renamed(ObjectNode c, String key, String old, int fallback) {
      if (present(c.get(old))) {
        if (present(c.get(key))) {
          warn(old, "ignored: " + key + " is also set");
        } else {
          warn(old, "deprecated: renamed " + key + "; the value is used as that");
        }
      }
      long oldValue = whole(c, old, 0, Integer.MAX_VALUE, fallback);
      return (int) (present(c.get(key)) ? whole(c, key, 0, Integer.MAX_VALUE, fallback) : oldValue);
    }

    private SyncSettings.Mode syncMode(ObjectNode c) {
      JsonNode n = c.get("synchronous_mode");
      if (!present(n)) {
        return SyncSettings.Mode.OFF;
      }
      if (n.isTextual() && n.asText().strip().equalsIgnoreCase("quorum")) {
        return SyncSettings.Mode.QUORUM;
      }
      Boolean on = parseBool(n);
      if (on == null) {
        error("synchronous_mode", "expected on, off or quorum, not " + describe(n));
        return SyncSettings.Mode.OFF;
      }
      return on ? SyncSettings.Mode.ON : SyncSettings.Mode.OFF;
    }

    private int memberSlotsTtl(ObjectNode c) {
      String key = "member_slots_ttl";
      JsonNode n = c.get(key);
      if (!present(n)) {
        return DEFAULT_MEMBER_SLOTS_TTL;
      }
      if (n.isIntegralNumber() || n.isFloatingPointNumber()) {
        return (int) whole(c, key, 0, Integer.MAX_VALUE, DEFAULT_MEMBER_SLOTS_TTL);
      }
      Matcher m = n.isTextual() ? DURATION.matcher(n.asText().strip()) : null;
      if (m == null || !m.matches()) {
        error(key, "expected a duration (seconds, or e.g. 30min, 2h), not " + describe(n));
        return DEFAULT_MEMBER_SLOTS_TTL;
      }
      long v = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      long seconds =
          switch (unit) {
            case "ms" -> Math.round(v / 1000.0);
            case "min" -> v * 60;
            case "h" -> v * 3600;
            case "d" -> v * 86400;
            default -> v;
          };
      if (seconds > Integer.MAX_VALUE) {
        error(key, "must be at most " + Integer.MAX_VALUE + " seconds, not " + describe(n));
        return DEFAULT_MEMBER_SLOTS_TTL;
      }
      return (int) seconds;
    }

    private Postgresql postgresql(ObjectNode c) {
      ObjectNode pg = object(c, "postgresql", "postgresql");
      if (pg == null) {
        return Postgresql.DEFAULTS;
      }
      // Patroni reads these three by truthiness ("false" would be on), use_slots as a boolean
      // in any form: only JSON booleans mean the same to both.
      Boolean rewind = strictBool(pg, "use_pg_rewind");
      boolean useSlots = bool(pg, "postgresql", "use_slots", true);
      strictBool(pg, "remove_data_directory_on_rewind_failure");
      strictBool(pg, "remove_data_directory_on_diverged_timelines");
      Map<String, Object> parameters = parameters(pg, "parameters");
      for (String role : List.of("primary", "replica", "standby_leader")) {
        parameters(pg, "parameters_" + role);
      }
      ObjectNode recovery = object(pg, "recovery_conf", "postgresql.recovery_conf");
      Map<String, Object> recoveryConf = new LinkedHashMap<>();
      if (recovery != null) {
        recovery.properties().forEach(e -> recoveryConf.put(e.getKey(), scalar(e.getValue())));
      }
      pg.fieldNames()
          .forEachRemaining(
              k -> {
                if (!POSTGRESQL_KNOWN.contains(k)) {
                  warn("postgresql." + k, "unknown key: stored and passed on as written");
                }
              });
      List<String> hba = lines(pg, "pg_hba");
      List<String> ident = lines(pg, "pg_ident");
      return new Postgresql(rewind, useSlots, parameters, hba, ident, recoveryConf);
    }

    private Boolean strictBool(ObjectNode pg, String field) {
      JsonNode n = pg.get(field);
      if (!present(n)) {
        return null;
      }
      if (!n.isBoolean()) {
        error("postgresql." + field, "expected true or false, not " + describe(n));
        return null;
      }
      return n.booleanValue();
    }

    private Map<String, Object> parameters(ObjectNode pg, String field) {
      String key = "postgresql." + field;
      ObjectNode params = object(pg, field, key);
      Map<String, Object> out = new LinkedHashMap<>();
      if (params == null) {
        return out;
      }
      for (Map.Entry<String, JsonNode> e : params.properties()) {
        JsonNode v = e.getValue();
        if (v.isNull()) {
          continue;
        }
        if (!v.isValueNode()) {
          error(key + "." + e.getKey(), "expected a string, number or boolean, not " + describe(v));
          continue;
        }
        out.put(e.getKey(), scalar(v));
      }
      return out;
    }

    private static Object scalar(JsonNode v) {
      return v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText();
    }

    private List<String> lines(ObjectNode pg, String field) {
      String key = "postgresql." + field;
      JsonNode n = pg.get(field);
      if (!present(n)) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      if (n.isArray()) {
        for (JsonNode line : n) {
          if (!line.isTextual()) {
            error(key, "expected a list of lines, found " + describe(line));
            return List.of();
          }
          out.add(line.asText());
        }
        return out;
      }
      error(key, "expected a list of lines, not " + describe(n));
      return List.of();
    }

    private Optional<ObjectNode> standbyCluster(ObjectNode c) {
      ObjectNode s = object(c, "standby_cluster", "standby_cluster");
      if (s == null) {
        return Optional.empty();
      }
      for (String f :
          List.of(
              "host",
              "primary_slot_name",
              "restore_command",
              "archive_cleanup_command",
              "recovery_min_apply_delay")) {
        JsonNode v = s.get(f);
        if (present(v) && !v.isValueNode()) {
          error("standby_cluster." + f, "expected a string, not " + describe(v));
        }
      }
      if (present(s.get("port"))) {
        whole(s, "standby_cluster.", "port", 1, 65535, 5432);
      }
      JsonNode methods = s.get("create_replica_methods");
      if (present(methods) && !methods.isArray()) {
        error(
            "standby_cluster.create_replica_methods", "expected a list, not " + describe(methods));
      } else if (present(methods)) {
        for (JsonNode m : methods) {
          if (!m.isTextual() || m.asText().isBlank()) {
            error(
                "standby_cluster.create_replica_methods",
                "expected a list of method names, found " + describe(m));
          }
        }
      }
      s.fieldNames()
          .forEachRemaining(
              k -> {
                if (!STANDBY_CLUSTER_KNOWN.contains(k)) {
                  warn("standby_cluster." + k, "unknown key: stored and passed on as written");
                }
              });
      return Optional.of(s);
    }

    private Map<String, JsonNode> slots(ObjectNode c) {
      Map<String, JsonNode> chosen = null;
      for (String key : List.of("permanent_replication_slots", "permanent_slots", "slots")) {
        ObjectNode slots = object(c, key, key);
        if (slots == null) {
          continue;
        }
        Map<String, JsonNode> read = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : slots.properties()) {
          String name = key + "." + e.getKey();
          JsonNode slot = e.getValue();
          if (slot.isNull()) {
            read.put(e.getKey(), JsonNodeFactory.instance.objectNode());
            continue;
          }
          if (!slot.isObject()) {
            error(name, "expected an object (type: physical or logical …), not " + describe(slot));
            continue;
          }
          JsonNode type = slot.get("type");
          String t = present(type) ? type.asText() : "physical";
          if (present(type) && !type.isTextual() || !t.equals("physical") && !t.equals("logical")) {
            error(name + ".type", "expected physical or logical, not " + describe(type));
            continue;
          }
          if (t.equals("logical")) {
            boolean ok = true;
            for (String f : List.of("database", "plugin")) {
              JsonNode v = slot.get(f);
              if (!present(v) || !v.isTextual() || v.asText().isBlank()) {
                error(name + "." + f, "required for a logical slot");
                ok = false;
              }
            }
            if (!ok) {
              continue;
            }
          }
          read.put(e.getKey(), slot);
        }
        if (chosen == null && !read.isEmpty()) {
          chosen = read;
        }
      }
      return chosen == null ? Map.of() : chosen;
    }

    private List<JsonNode> ignoreSlots(ObjectNode c) {
      JsonNode n = c.get("ignore_slots");
      if (!present(n)) {
        return List.of();
      }
      if (!n.isArray()) {
        error("ignore_slots", "expected a list of matchers (name, type, database, plugin)");
        return List.of();
      }
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode m : n) {
        if (!m.isObject()) {
          error("ignore_slots", "expected a list of matchers, found " + describe(m));
          return List.of();
        }
        out.add(m);
      }
      return out;
    }

    private ObjectNode object(ObjectNode c, String field, String key) {
      JsonNode n = c.get(field);
      if (!present(n)) {
        return null;
      }
      if (!n.isObject()) {
        error(key, "expected an object (key: value), not " + describe(n));
        return null;
      }
      return (ObjectNode) n;
    }

    private boolean bool(ObjectNode c, String key, boolean fallback) {
      return bool(c, "", key, fallback);
    }

    private boolean bool(ObjectNode c, String prefix, String field, boolean fallback) {
      JsonNode n = c.get(field);
      if (!present(n)) {
        return fallback;
      }
      Boolean b = parseBool(n);
      if (b == null) {
        error(
            prefix.isEmpty() ? field : prefix + "." + field,
            "expected true or false, not " + describe(n));
        return fallback;
      }
      return b;
    }

    private long whole(ObjectNode c, String key, long min, long max, long fallback) {
      return whole(c, "", key, min, max, fallback);
    }

    private long whole(
        ObjectNode c, String prefix, String field, long min, long max, long fallback) {
      String key = prefix + field;
      JsonNode n = c.get(field);
      if (!present(n)) {
        return fallback;
      }
      Long value = null;
      if (n.isIntegralNumber()) {
        value = n.canConvertToLong() ? n.longValue() : null;
      } else if (n.isFloatingPointNumber()) {
        double d = n.doubleValue();
        if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.0e18) {
          value = (long) d;
        }
      } else if (n.isTextual() && WHOLE.matcher(n.asText().strip()).matches()) {
        try {
          value = Long.parseLong(n.asText().strip());
        } catch (NumberFormatException e) {
          value = null;
        }
      }
      if (value == null) {
        error(key, "expected a whole number, not " + describe(n));
        return fallback;
      }
      if (value < min) {
        error(key, "must be at least " + min + ", not " + value);
        return fallback;
      }
      if (value > max) {
        error(key, "must be at most " + max + ", not " + value);
        return fallback;
      }
      return value;
    }

    private static boolean present(JsonNode n) {
      return n != null && !n.isNull() && !n.isMissingNode();
    }
  }
}
