package io.pgregent.dcs.zookeeper;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How to reach ZooKeeper, as Patroni's {@code zookeeper:} section says it.
 *
 * @param hosts servers as {@code host:port}, tried in this order
 * @param connectTimeout how long one connection attempt may take, or null for retry_timeout
 * @param useSsl whether to speak TLS; when false every other TLS setting is ignored, as in Patroni
 * @param cacert CA certificate (PEM) to verify the servers with, or null for the JVM's trust store
 * @param cert client certificate (PEM), or null
 * @param key the client certificate's private key (PEM), or null
 * @param keyPassword the key's password, or null
 * @param verify whether to check that the server certificate names the host
 * @param setAcls ACL applied to every znode we create: principal → permissions ({@code CREATE},
 *     {@code READ}, {@code WRITE}, {@code DELETE}, {@code ADMIN}, {@code ALL}); an x509 principal
 *     ({@code CN=...}) or {@code digest:user:password}; empty for ZooKeeper's open ACL
 * @param authData credentials sent on connect: scheme → credential, e.g. {@code digest →
 *     user:password}
 */
public record ZooKeeperSettings(
    List<String> hosts,
    Duration connectTimeout,
    boolean useSsl,
    Path cacert,
    Path cert,
    Path key,
    String keyPassword,
    boolean verify,
    Map<String, List<String>> setAcls,
    Map<String, String> authData) {

  /** The permissions Patroni accepts in {@code set_acls}. */
  public static final Set<String> PERMISSIONS =
      Set.of("CREATE", "READ", "WRITE", "DELETE", "ADMIN", "ALL");

  public ZooKeeperSettings {
    hosts = List.copyOf(hosts);
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("zookeeper.hosts: no server (list host:port entries)");
    }
    for (String h : hosts) {
      if (!h.matches("[^\\s:,/]+:\\d{1,5}")) {
        throw new IllegalArgumentException("zookeeper.hosts: '" + h + "' is not host:port");
      }
    }
    if (connectTimeout != null && (connectTimeout.isNegative() || connectTimeout.isZero())) {
      throw new IllegalArgumentException(
          "zookeeper.connect_timeout must be positive: " + connectTimeout.toSeconds());
    }
    if (useSsl && (cert == null) != (key == null)) {
      throw new IllegalArgumentException("zookeeper.cert and zookeeper.key go together");
    }
    Map<String, List<String>> acls = new LinkedHashMap<>();
    if (setAcls != null) {
      setAcls.forEach(
          (principal, perms) -> {
            if (principal == null || principal.isBlank()) {
              throw new IllegalArgumentException("zookeeper.set_acls: empty principal");
            }
            if (perms == null || perms.isEmpty()) {
              throw new IllegalArgumentException(
                  "zookeeper.set_acls: no permission for '" + principal + "'");
            }
            List<String> upper =
                perms.stream().map(p -> p.trim().toUpperCase(Locale.ROOT)).toList();
            for (String p : upper) {
              if (!PERMISSIONS.contains(p)) {
                throw new IllegalArgumentException(
                    "zookeeper.set_acls: unknown permission '"
                        + p
                        + "' for '"
                        + principal
                        + "' (use CREATE, READ, WRITE, DELETE, ADMIN or ALL)");
              }
            }
            acls.put(principal, upper);
          });
    }
    setAcls = java.util.Collections.unmodifiableMap(acls);
    authData = authData == null ? Map.of() : Map.copyOf(authData);
  }

  /** Plain connections to the given {@code host:port} servers, no ACL, no credentials. */
  public static ZooKeeperSettings of(String... hosts) {
    return new ZooKeeperSettings(
        Arrays.asList(hosts), null, false, null, null, null, null, true, Map.of(), Map.of());
  }

  /** ZooKeeper's connect string, which also names the endpoints in log lines. */
  public String connectString() {
    return String.join(",", hosts);
  }

  @Override
  public String toString() {
    return "ZooKeeperSettings[hosts="
        + connectString()
        + ", connectTimeout="
        + connectTimeout
        + ", useSsl="
        + useSsl
        + ", cacert="
        + cacert
        + ", cert="
        + cert
        + ", key="
        + (key == null ? "-" : "****")
        + ", keyPassword="
        + (keyPassword == null ? "-" : "****")
        + ", verify="
        + verify
        + ", setAcls="
        + setAcls.keySet().stream().map(ZooKeeperSettings::maskPrincipal).toList()
        + ", authData="
        + authData.keySet()
        + "]";
  }

  /** Hides the password of a {@code digest:user:password} principal. */
  static String maskPrincipal(String principal) {
    if (principal.startsWith("digest:")) {
      int colon = principal.indexOf(':', "digest:".length());
      return colon < 0 ? "digest:****" : principal.substring(0, colon) + ":****";
    }
    return principal;
  }
}
