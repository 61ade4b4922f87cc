package io.pgregent.postgres;

/** The role of the local server. */
public enum PostgresRole {
  PRIMARY("primary"),
  REPLICA("replica"),
  /** No data directory, or it could not be asked. */
  UNKNOWN("unknown");

  private final String patroniName;

  PostgresRole(String patroniName) {
    this.patroniName = patroniName;
  }

  /** The name Patroni uses (member key {@code role}, callbacks). */
  public String patroniName() {
    return patroniName;
  }
}
