package io.pgregent.postgres.config;

/**
 * One of Patroni's {@code postgresql.authentication.{superuser,replication,rewind}} entries.
 *
 * @param username the role name
 * @param password the password, may be null (then no password is sent); never printed
 * @param sslmode libpq {@code sslmode}, may be null
 */
public record Credentials(String username, String password, String sslmode) {

  public Credentials {
    if (username == null || username.isBlank()) {
      throw new IllegalArgumentException("username must be set");
    }
  }

  public static Credentials of(String username, String password) {
    return new Credentials(username, password, null);
  }

  @Override
  public String toString() {
    return "Credentials[username="
        + username
        + ", password="
        + (password == null ? "<none>" : "<hidden>")
        + ", sslmode="
        + sslmode
        + "]";
  }
}
