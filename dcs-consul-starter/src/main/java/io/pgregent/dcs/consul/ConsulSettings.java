package io.pgregent.dcs.consul;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How to reach Consul and what to register there, as Patroni's {@code consul:} section says it.
 *
 * @param endpoint the agent's HTTP API, e.g. {@code http://127.0.0.1:8500}
 * @param token ACL token sent with every request, or null
 * @param verify whether to verify the server's certificate over HTTPS
 * @param cacert CA bundle (PEM) to verify the server with, or null for the JVM's
 * @param cert client certificate (PEM), or null
 * @param key the client certificate's private key (PEM, PKCS#8), or null
 * @param dc the datacenter to address, or null for the agent's own
 * @param consistency the read consistency mode
 * @param checks the health checks the session is bound to; null leaves Consul's default (the node's
 *     {@code serfHealth}), an empty list binds it to none
 * @param registerService whether to register the member as a service named after the scope
 * @param serviceTags extra tags of the service
 * @param serviceCheckInterval how often Consul checks the member's REST API, e.g. {@code 5s}
 * @param serviceCheckTlsServerName the server name the HTTPS check verifies, or null
 */
public record ConsulSettings(
    URI endpoint,
    String token,
    boolean verify,
    Path cacert,
    Path cert,
    Path key,
    String dc,
    Consistency consistency,
    List<String> checks,
    boolean registerService,
    List<String> serviceTags,
    String serviceCheckInterval,
    String serviceCheckTlsServerName) {

  /** Consul's read consistency modes. */
  public enum Consistency {
    DEFAULT,
    CONSISTENT,
    STALE;

    /** The query parameter that selects the mode, or null for the default. */
    public String queryParameter() {
      return this == DEFAULT ? null : name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public ConsulSettings {
    Objects.requireNonNull(endpoint, "endpoint");
    if (endpoint.getHost() == null || endpoint.getPort() < 0) {
      throw new IllegalArgumentException("consul: endpoint needs a host and a port: " + endpoint);
    }
    if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
      throw new IllegalArgumentException(
          "consul.scheme must be http or https, not '" + endpoint.getScheme() + "'");
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("consul.cert and consul.key go together");
    }
    consistency = consistency == null ? Consistency.DEFAULT : consistency;
    checks = checks == null ? null : List.copyOf(checks);
    serviceTags = serviceTags == null ? List.of() : List.copyOf(serviceTags);
    serviceCheckInterval =
        serviceCheckInterval == null || serviceCheckInterval.isBlank()
            ? "5s"
            : serviceCheckInterval.trim();
  }

  /** Plain HTTP to one agent, Consul's defaults otherwise. */
  public static ConsulSettings of(String url) {
    return new ConsulSettings(
        URI.create(url),
        null,
        true,
        null,
        null,
        null,
        null,
        Consistency.DEFAULT,
        null,
        false,
        List.of(),
        null,
        null);
  }

  public ConsulSettings withRegisterService(boolean register, List<String> tags) {
    return new ConsulSettings(
        endpoint,
        token,
        verify,
        cacert,
        cert,
        key,
        dc,
        consistency,
        checks,
        register,
        tags,
        serviceCheckInterval,
        serviceCheckTlsServerName);
  }

  public boolean isHttps() {
    return "https".equals(endpoint.getScheme());
  }

  @Override
  public String toString() {
    return "ConsulSettings[endpoint="
        + endpoint
        + ", token="
        + (token == null ? "-" : "****")
        + ", verify="
        + verify
        + ", cacert="
        + cacert
        + ", cert="
        + cert
        + ", key="
        + (key == null ? "-" : "****")
        + ", dc="
        + dc
        + ", consistency="
        + consistency
        + ", checks="
        + checks
        + ", registerService="
        + registerService
        + ", serviceTags="
        + serviceTags
        + ", serviceCheckInterval="
        + serviceCheckInterval
        + ", serviceCheckTlsServerName="
        + serviceCheckTlsServerName
        + "]";
  }
}
