package io.pgregent.dcs.consul.autoconfigure;

import io.pgregent.dcs.autoconfigure.StoreSectionProperties;
import io.pgregent.dcs.consul.ConsulSettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Patroni's {@code consul:} section. */
@ConfigurationProperties(prefix = "consul")
public class ConsulProperties extends StoreSectionProperties {

  /** The Consul agent, {@code host:port} or {@code host} (then {@code port} applies). */
  private String host;

  /** The Consul agent as a URL, e.g. {@code https://127.0.0.1:8501}; wins over host. */
  private String url;

  /** The agent's HTTP port when {@code host} has none. */
  private Integer port;

  /** {@code http} or {@code https}, for a {@code host} given without a scheme. */
  private String scheme = "http";

  /** ACL token sent with every request. */
  private String token;

  /** Whether to verify the server's certificate over HTTPS. */
  private boolean verify = true;

  /** The datacenter to address; the agent's own when unset. */
  private String dc;

  /** Read consistency: {@code default}, {@code consistent} or {@code stale}. */
  private String consistency = "default";

  /**
   * Health checks the session is bound to. Unset: Consul's default, the node's {@code serfHealth};
   * an empty list: none, so only the TTL ends the session.
   */
  private List<String> checks;

  /** Register the member as a service named after the scope, tagged with its role. */
  private boolean registerService;

  /** Extra tags of the registered service. */
  private List<String> serviceTags = new ArrayList<>();

  /** How often Consul checks the member's REST API, e.g. {@code 5s}. */
  private String serviceCheckInterval = "5s";

  /** The server name the HTTPS service check verifies the REST API's certificate against. */
  private String serviceCheckTlsServerName;

  /** The settings the store client uses. */
  public ConsulSettings toSettings() {
    String s = scheme == null ? "http" : scheme.trim().toLowerCase(Locale.ROOT);
    if (!s.equals("http") && !s.equals("https")) {
      throw new IllegalArgumentException(
          "consul.scheme must be http or https, not '" + scheme + "'");
    }
    URI endpoint;
    if (url != null && !url.isBlank()) {
      endpoint = parse("consul.url", url.trim(), null);
    } else {
      String h = host == null || host.isBlank() ? "127.0.0.1" : host.trim();
      endpoint = parse("consul.host", h.contains("://") ? h : s + "://" + h, port);
    }
    ConsulSettings.Consistency mode;
    try {
      mode =
          ConsulSettings.Consistency.valueOf(
              (consistency == null ? "default" : consistency.trim()).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "consul.consistency must be default, consistent or stale, not '" + consistency + "'");
    }
    if (serviceCheckInterval != null
        && !serviceCheckInterval.isBlank()
        && !serviceCheckInterval.trim().matches("\\d+(\\.\\d+)?(ns|us|ms|s|m|h)")) {
      throw new IllegalArgumentException(
          "consul.service_check_interval: '"
              + serviceCheckInterval
              + "' is not a duration such as 5s or 1m");
    }
    return new ConsulSettings(
        endpoint,
        blankToNull(token),
        verify,
        getCacert(),
        getCert(),
        getKey(),
        blankToNull(dc),
        mode,
        checks,
        registerService,
        serviceTags,
        serviceCheckInterval,
        blankToNull(serviceCheckTlsServerName));
  }

  private static URI parse(String setting, String value, Integer defaultPort) {
    try {
      URI uri = URI.create(value);
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("no host");
      }
      if (uri.getPort() < 0) {
        int p = defaultPort != null ? defaultPort : "https".equals(uri.getScheme()) ? 8501 : 8500;
        uri = new URI(uri.getScheme(), null, uri.getHost(), p, null, null, null);
      } else if (defaultPort != null && defaultPort != uri.getPort()) {
        throw new IllegalArgumentException(
            "consul.port " + defaultPort + " contradicts the port in '" + value + "'");
      }
      return uri;
    } catch (IllegalArgumentException | java.net.URISyntaxException e) {
      // The message says all there is to say: no cause, so it is the root cause users see.
      throw new IllegalArgumentException(
          setting + ": '" + value + "' is not host, host:port or a URL (" + e.getMessage() + ")");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public String getScheme() {
    return scheme;
  }

  public void setScheme(String scheme) {
    this.scheme = scheme;
  }

  public String getToken() {
    return token;
  }

  public void setToken(String token) {
    this.token = token;
  }

  public boolean isVerify() {
    return verify;
  }

  public void setVerify(boolean verify) {
    this.verify = verify;
  }

  public String getDc() {
    return dc;
  }

  public void setDc(String dc) {
    this.dc = dc;
  }

  public String getConsistency() {
    return consistency;
  }

  public void setConsistency(String consistency) {
    this.consistency = consistency;
  }

  public List<String> getChecks() {
    return checks;
  }

  public void setChecks(List<String> checks) {
    this.checks = checks;
  }

  public boolean isRegisterService() {
    return registerService;
  }

  public void setRegisterService(boolean registerService) {
    this.registerService = registerService;
  }

  public List<String> getServiceTags() {
    return serviceTags;
  }

  public void setServiceTags(List<String> serviceTags) {
    this.serviceTags = serviceTags;
  }

  public String getServiceCheckInterval() {
    return serviceCheckInterval;
  }

  public void setServiceCheckInterval(String serviceCheckInterval) {
    this.serviceCheckInterval = serviceCheckInterval;
  }

  public String getServiceCheckTlsServerName() {
    return serviceCheckTlsServerName;
  }

  public void setServiceCheckTlsServerName(String serviceCheckTlsServerName) {
    this.serviceCheckTlsServerName = serviceCheckTlsServerName;
  }

  @Override
  public String toString() {
    return "ConsulProperties[host="
        + host
        + ", url="
        + url
        + ", port="
        + port
        + ", scheme="
        + scheme
        + ", token="
        + (token == null ? "-" : "****")
        + ", dc="
        + dc
        + ", registerService="
        + registerService
        + "]";
  }
}
