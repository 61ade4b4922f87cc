package io.pgregent.postgres.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of Patroni's {@code postgresql.authentication.{superuser,replication,rewind}} entries.
 *
 * @param username the role name
 * @param password the password, may be null (then no password is sent); never printed
 * @param parameters the libpq connection parameters of the entry ({@code sslmode}, {@code sslcert},
 *     …; see {@link #PARAMETERS}), in that order, only those set
 */
public record Credentials(String username, String password, Map<String, String> parameters) {

  /** The libpq connection parameters an authentication entry may carry, as Patroni names them. */
  public static final List<String> PARAMETERS =
      List.of(
          "sslmode",
          "sslkey",
          "sslpassword",
          "sslcert",
          "sslrootcert",
          "sslcrl",
          "sslcrldir",
          "gssencmode",
          "channel_binding");

  public Credentials {
    if (username == null || username.isBlank()) {
      throw new IllegalArgumentException("username must be set");
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    Map<String, String> given = parameters == null ? Map.of() : parameters;
    for (String k : given.keySet()) {
      if (!PARAMETERS.contains(k)) {
        throw new IllegalArgumentException("unknown connection parameter " + k);
      }
    }
    for (String k : PARAMETERS) {
      String v = given.get(k);
      if (v != null && !v.isEmpty()) {
        ordered.put(k, v);
      }
    }
    parameters = Collections.unmodifiableMap(ordered);
  }

  public Credentials(String username, String password, String sslmode) {
    this(username, password, sslmode == null ? Map.of() : Map.of("sslmode", sslmode));
  }

  public static Credentials of(String username, String password) {
    return new Credentials(username, password, Map.of());
  }

  /** libpq {@code sslmode}, may be null. */
  public String sslmode() {
    return parameters.get("sslmode");
  }

  /** The parameter {@code name}, may be null. */
  public String parameter(String name) {
    return parameters.get(name);
  }

  @Override
  public String toString() {
    Map<String, String> shown = new LinkedHashMap<>(parameters);
    shown.computeIfPresent("sslpassword", (k, v) -> "<hidden>");
    return "Credentials[username="
        + username
        + ", password="
        + (password == null ? "<none>" : "<hidden>")
        + (shown.isEmpty() ? "" : ", " + shown)
        + "]";
  }
}
