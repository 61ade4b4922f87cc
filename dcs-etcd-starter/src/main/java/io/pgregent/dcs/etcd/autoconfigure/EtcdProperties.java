package io.pgregent.dcs.etcd.autoconfigure;

import io.pgregent.dcs.autoconfigure.StoreSectionProperties;
import io.pgregent.dcs.etcd.EtcdSettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Patroni's {@code etcd3:} section. */
@ConfigurationProperties(prefix = "etcd3")
public class EtcdProperties extends StoreSectionProperties {

  private static final Logger log = LoggerFactory.getLogger(EtcdProperties.class);

  /** One etcd endpoint, {@code host:port}. */
  private String host;

  /** Several etcd endpoints, {@code host:port} each (a list, or one comma-separated string). */
  private List<String> hosts = new ArrayList<>();

  /** One endpoint as a URL, e.g. {@code http://127.0.0.1:2379}. */
  private String url;

  /** {@code http} or {@code https}, for endpoints given without a scheme. */
  private String protocol = "http";

  /** User for etcd authentication. */
  private String username;

  /** Password for etcd authentication. */
  private String password;

  /** Not supported yet: DNS SRV discovery of endpoints (logged and ignored). */
  private String srv;

  /** Not supported yet: access through gRPC proxies (logged and ignored). */
  private String proxy;

  /** The settings the store client uses, with endpoints resolved. */
  public EtcdSettings toSettings() {
    if (!"http".equals(protocol) && !"https".equals(protocol)) {
      throw new IllegalArgumentException(
          "etcd3.protocol must be http or https, not '" + protocol + "'");
    }
    if (srv != null) {
      log.warn("etcd3.srv is not supported yet and is ignored: list the endpoints in etcd3.hosts");
    }
    if (proxy != null) {
      log.warn("etcd3.proxy is not supported yet and is ignored");
    }
    List<URI> endpoints = new ArrayList<>();
    if (url != null) {
      endpoints.add(parse("etcd3.url", url));
    }
    for (String one : hostList(hosts)) {
      endpoints.add(endpoint("etcd3.hosts", one));
    }
    if (host != null) {
      endpoints.add(endpoint("etcd3.host", host.trim()));
    }
    if (endpoints.isEmpty()) {
      endpoints.add(endpoint("etcd3.host", "127.0.0.1:2379"));
    }
    return new EtcdSettings(endpoints, username, password, getCacert(), getCert(), getKey());
  }

  private URI endpoint(String setting, String hostPort) {
    return parse(setting, hostPort.contains("://") ? hostPort : protocol + "://" + hostPort);
  }

  private static URI parse(String setting, String value) {
    try {
      URI uri = URI.create(value);
      if (uri.getHost() == null || uri.getPort() < 0) {
        throw new IllegalArgumentException("no host:port");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      // The message says all there is to say: no cause, so it is the root cause users see.
      throw new IllegalArgumentException(
          setting
              + ": '"
              + value
              + "' is not host:port or a URL with a port ("
              + e.getMessage()
              + ")");
    }
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public List<String> getHosts() {
    return hosts;
  }

  public void setHosts(List<String> hosts) {
    this.hosts = hosts;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getProtocol() {
    return protocol;
  }

  public void setProtocol(String protocol) {
    this.protocol = protocol;
  }

  public String getUsername() {
    return username;
  }

  public void setUsername(String username) {
    this.username = username;
  }

  public String getPassword() {
    return password;
  }

  public void setPassword(String password) {
    this.password = password;
  }

  public String getSrv() {
    return srv;
  }

  public void setSrv(String srv) {
    this.srv = srv;
  }

  public String getProxy() {
    return proxy;
  }

  public void setProxy(String proxy) {
    this.proxy = proxy;
  }

  @Override
  public String toString() {
    return "EtcdProperties[host="
        + host
        + ", hosts="
        + hosts
        + ", url="
        + url
        + ", protocol="
        + protocol
        + ", username="
        + username
        + ", password="
        + (password == null ? "-" : "****")
        + "]";
  }
}
