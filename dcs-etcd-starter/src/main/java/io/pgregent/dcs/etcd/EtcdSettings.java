package io.pgregent.dcs.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How to reach etcd, as Patroni's {@code etcd3:} section says it.
 *
 * @param endpoints client URLs, e.g. {@code http://127.0.0.1:2379}
 * @param username user for etcd authentication, or null
 * @param password its password, or null
 * @param cacert CA bundle to verify the server with, or null
 * @param cert client certificate, or null
 * @param key client certificate key, or null
 */
public record EtcdSettings(
    List<URI> endpoints, String username, String password, Path cacert, Path cert, Path key) {

  public EtcdSettings {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("etcd3: no endpoint (set etcd3.host or etcd3.hosts)");
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("etcd3.username and etcd3.password go together");
    }
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("etcd3.cert and etcd3.key go together");
    }
  }

  public static EtcdSettings of(String... urls) {
    return new EtcdSettings(
        java.util.Arrays.stream(urls).map(URI::create).toList(), null, null, null, null, null);
  }

  /** The endpoints as one string for log lines. */
  public String endpointList() {
    return String.join(",", endpoints.stream().map(URI::toString).toList());
  }

  public boolean hasTls() {
    return cacert != null
        || cert != null
        || endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
  }

  @Override
  public String toString() {
    return "EtcdSettings[endpoints="
        + endpointList()
        + ", username="
        + Objects.toString(username, "-")
        + ", password="
        + (password == null ? "-" : "****")
        + ", cacert="
        + cacert
        + ", cert="
        + cert
        + ", key="
        + (key == null ? "-" : "****")
        + "]";
  }
}
