package io.pgregent.postgres.config;

/**
 * What one server version says about a parameter ({@code postgres --describe-config}).
 *
 * @param name the canonical name ({@code TimeZone})
 * @param context when a change takes effect: {@code postmaster} needs a restart
 * @param type BOOLEAN, INTEGER, REAL, STRING or ENUM
 * @param min the minimum of a numeric parameter in its base unit, or null
 * @param max the maximum of a numeric parameter in its base unit, or null
 */
public record ParameterSpec(String name, String context, String type, Double min, Double max) {

  /** Whether changing it needs a server restart. */
  public boolean needsRestart() {
    return "postmaster".equals(context);
  }
}
