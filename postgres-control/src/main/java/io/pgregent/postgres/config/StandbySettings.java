package io.pgregent.postgres.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a replica writes besides the parameters: {@code standby.signal} plus these recovery
 * parameters.
 *
 * @param primaryConninfo {@code primary_conninfo} (no password: libpq reads the passfile)
 * @param primarySlotName {@code primary_slot_name}, may be null
 * @param recovery further recovery parameters ({@code restore_command}, ...) that win over the
 *     configured ones
 */
public record StandbySettings(
    String primaryConninfo, String primarySlotName, Map<String, String> recovery) {

  public StandbySettings {
    recovery = Collections.unmodifiableMap(new LinkedHashMap<>(recovery));
  }

  public StandbySettings(String primaryConninfo, String primarySlotName) {
    this(primaryConninfo, primarySlotName, Map.of());
  }
}
