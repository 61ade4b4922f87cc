package io.pgregent.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.SyncSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

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
    DynamicConfigReader r = new DynamicConfigReader();
    if (!tree.isObject()) {
      r.error("config", "expected an object (key: value), not " + ValueReader.describe(tree));
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
                    .anyMatch(ValueReader::truthy))
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
          if (!io.pgregent.core.slots.SlotPolicy.isLogical(slot)) {
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

  /** {@code synchronous_mode} and the settings that go with it. */
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
        sync(),
        null,
        false,
        false,
        standby().orElse(null));
  }

  /** The {@code standby_cluster} section read, when this is a standby cluster. */
  public Optional<StandbyCluster> standby() {
    return isStandbyCluster() ? standbyCluster.map(StandbyCluster::of) : Optional.empty();
  }

  /** Patroni's boolean forms; null when the value is none of them. */
  public static Boolean parseBool(JsonNode n) {
    return ValueReader.parseBool(n);
  }
}
