package io.pgregent.postgres.config;

/**
 * What a replica writes besides the parameters: {@code standby.signal} plus these recovery
 * parameters.
 *
 * @param primaryConninfo {@code primary_conninfo} (no password: libpq reads the passfile)
 * @param primarySlotName {@code primary_slot_name}, may be null
 */
public record StandbySettings(String primaryConninfo, String primarySlotName) {}
