package io.pgregent.postgres.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The PostgreSQL part of the cluster-wide configuration (Patroni's {@code /config}): every member
 * applies the same values.
 *
 * @param parameters {@code postgresql.parameters}
 * @param usePgRewind {@code postgresql.use_pg_rewind}, null when not set there
 * @param useSlots {@code postgresql.use_slots}
 * @param permanentPhysicalSlots names of the physical slots in {@code slots}
 * @param permanentLogicalSlots the logical slots in {@code slots}: name to {@code database} and
 *     {@code plugin}
 */
public record DynamicPostgresConfig(
    Map<String, Object> parameters,
    Boolean usePgRewind,
    boolean useSlots,
    Set<String> permanentPhysicalSlots,
    Map<String, Map<String, String>> permanentLogicalSlots) {

  public static final DynamicPostgresConfig EMPTY =
      new DynamicPostgresConfig(Map.of(), null, true, Set.of());

  public DynamicPostgresConfig {
    parameters =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(parameters == null ? Map.of() : parameters));
    permanentPhysicalSlots =
        Set.copyOf(permanentPhysicalSlots == null ? Set.of() : permanentPhysicalSlots);
    permanentLogicalSlots =
        Map.copyOf(permanentLogicalSlots == null ? Map.of() : permanentLogicalSlots);
  }

  /** Without permanent logical slots. */
  public DynamicPostgresConfig(
      Map<String, Object> parameters,
      Boolean usePgRewind,
      boolean useSlots,
      Set<String> permanentPhysicalSlots) {
    this(parameters, usePgRewind, useSlots, permanentPhysicalSlots, Map.of());
  }

  public static DynamicPostgresConfig withParameters(Map<String, Object> parameters) {
    return new DynamicPostgresConfig(parameters, null, true, Set.of());
  }
}
