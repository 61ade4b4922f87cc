package io.pgregent.postgres.config;

import io.pgregent.postgres.PostgresSetupException;

/**
 * A {@code host:port} pair as Patroni writes {@code listen} and {@code connect_address}; the host
 * part may be a comma-separated list.
 */
public record HostPort(String host, int port) {

  /** Parses {@code value}; {@code setting} names the key in error messages. */
  public static HostPort parse(String value, String setting) {
    if (value == null) {
      throw new PostgresSetupException(setting + " is not set (expected host:port)");
    }
    int colon = value.lastIndexOf(':');
    if (colon < 0 || value.endsWith("]")) {
      throw new PostgresSetupException(
          setting + " '" + value + "' has no port: write it as host:port");
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1).strip());
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      String host = value.substring(0, colon).strip();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new HostPort(host, port);
    } catch (NumberFormatException ex) {
      throw new PostgresSetupException(
          setting + " '" + value + "' has an invalid port: write it as host:port (1-65535)");
    }
  }
}
