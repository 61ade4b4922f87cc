package io.pgregent.agent.config;

import java.util.Objects;

/**
 * Patroni's {@code restapi:} section.
 *
 * @param listenHost the address to listen on ({@code restapi.listen}, host part)
 * @param listenPort the port to listen on ({@code restapi.listen}, port part)
 * @param connectAddress {@code host:port} other members and tools use ({@code
 *     restapi.connect_address})
 * @param username {@code restapi.authentication.username}, or null
 * @param password {@code restapi.authentication.password}, or null
 * @param tls the REST API serves HTTPS ({@code restapi.certfile} is set)
 */
public record RestApiSettings(
    String listenHost,
    int listenPort,
    String connectAddress,
    String username,
    String password,
    boolean tls) {

  public RestApiSettings {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(connectAddress, "connectAddress");
  }

  /** Plain HTTP. */
  public RestApiSettings(
      String listenHost, int listenPort, String connectAddress, String username, String password) {
    this(listenHost, listenPort, connectAddress, username, password, false);
  }

  /** The same settings, serving HTTPS or not. */
  public RestApiSettings withTls(boolean tls) {
    return new RestApiSettings(listenHost, listenPort, connectAddress, username, password, tls);
  }

  /** The {@code api_url} published in the member key. */
  public String apiUrl() {
    return (tls ? "https://" : "http://") + connectAddress + "/patroni";
  }

  @Override
  public String toString() {
    return "RestApiSettings[listen="
        + listenHost
        + ":"
        + listenPort
        + ", connectAddress="
        + connectAddress
        + ", username="
        + username
        + ", password="
        + (password == null ? "-" : "****")
        + ", tls="
        + tls
        + "]";
  }
}
