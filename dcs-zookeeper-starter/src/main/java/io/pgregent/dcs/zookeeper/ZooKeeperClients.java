package io.pgregent.dcs.zookeeper;

import io.pgregent.core.dcs.DcsConfigurationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.AuthInfo;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/** Builds the Curator client for one session from Patroni's {@code zookeeper:} settings. */
final class ZooKeeperClients {

  private ZooKeeperClients() {}

  static CuratorFramework build(
      ZooKeeperSettings settings, int sessionTimeoutMs, Duration retryTimeout) {
    Duration connect = settings.connectTimeout() != null ? settings.connectTimeout() : retryTimeout;
    CuratorFrameworkFactory.Builder b =
        CuratorFrameworkFactory.builder()
            .connectString(settings.connectString())
            .sessionTimeoutMs(sessionTimeoutMs)
            .connectionTimeoutMs((int) Math.max(1000, connect.toMillis()))
            // DcsRetry owns retries and their deadline.
            .retryPolicy(new RetryNTimes(0, 0))
            // Keep the servers we were given (a proxy, an order): no rewrite from
            // /zookeeper/config.
            .ensembleTracker(false)
            .zkClientConfig(clientConfig(settings, retryTimeout));
    List<AuthInfo> auth = new ArrayList<>();
    settings
        .authData()
        .forEach((scheme, credential) -> auth.add(new AuthInfo(scheme, bytes(credential))));
    if (!auth.isEmpty()) {
      b.authorization(auth);
    }
    if (!settings.setAcls().isEmpty()) {
      List<ACL> acl = acl(settings.setAcls());
      b.aclProvider(
          new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
              return acl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
              return acl;
            }
          });
    }
    return b.build();
  }

  private static ZKClientConfig clientConfig(ZooKeeperSettings settings, Duration retryTimeout) {
    ZKClientConfig config = new ZKClientConfig();
    // Bounds the client's own blocking calls (closing the session) when a server goes silent.
    config.setProperty(
        ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT,
        String.valueOf(Math.max(1000, retryTimeout.toMillis())));
    if (!settings.useSsl()) {
      return config;
    }
    config.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
    config.setProperty(
        ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
    config.setProperty("zookeeper.ssl.hostnameVerification", String.valueOf(settings.verify()));
    // Every TLS setting is set here, so that none comes from JVM-wide zookeeper.ssl.* properties.
    // An empty location means the JVM's default trust (no cacert) or no client certificate.
    config.setProperty(
        "zookeeper.ssl.trustStore.location",
        settings.cacert() == null
            ? ""
            : readable(settings.cacert(), "zookeeper.cacert").toString());
    config.setProperty("zookeeper.ssl.trustStore.type", "PEM");
    config.setProperty("zookeeper.ssl.trustStore.password", "");
    config.setProperty(
        "zookeeper.ssl.keyStore.location",
        settings.cert() == null ? "" : combinedPem(settings).toString());
    config.setProperty("zookeeper.ssl.keyStore.type", "PEM");
    config.setProperty(
        "zookeeper.ssl.keyStore.password",
        settings.keyPassword() == null ? "" : settings.keyPassword());
    return config;
  }

  /** ZooKeeper reads the client certificate and its key from one PEM file; Patroni has two. */
  private static Path combinedPem(ZooKeeperSettings settings) {
    Path cert = readable(settings.cert(), "zookeeper.cert");
    Path key = readable(settings.key(), "zookeeper.key");
    try {
      Path pem;
      try {
        pem =
            Files.createTempFile(
                "regent-zookeeper-",
                ".pem",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        pem = Files.createTempFile("regent-zookeeper-", ".pem");
      }
      pem.toFile().deleteOnExit();
      Files.writeString(
          pem,
          Files.readString(key, StandardCharsets.US_ASCII)
              + "\n"
              + Files.readString(cert, StandardCharsets.US_ASCII));
      return pem;
    } catch (IOException e) {
      throw new DcsConfigurationException(
          "zookeeper.cert/zookeeper.key: cannot combine them for the client: " + e.getMessage(), e);
    }
  }

  private static Path readable(Path p, String setting) {
    if (!Files.isReadable(p)) {
      throw new DcsConfigurationException(setting + ": cannot read " + p, null);
    }
    return p;
  }

  /** Patroni's {@code set_acls}: x509 principals, or {@code digest:user:password}. */
  static List<ACL> acl(Map<String, List<String>> setAcls) {
    List<ACL> acl = new ArrayList<>();
    setAcls.forEach(
        (principal, permissions) -> {
          int perms = 0;
          for (String p : permissions) {
            perms |=
                switch (p) {
                  case "READ" -> ZooDefs.Perms.READ;
                  case "WRITE" -> ZooDefs.Perms.WRITE;
                  case "CREATE" -> ZooDefs.Perms.CREATE;
                  case "DELETE" -> ZooDefs.Perms.DELETE;
                  case "ADMIN" -> ZooDefs.Perms.ADMIN;
                  default -> ZooDefs.Perms.ALL;
                };
          }
          acl.add(new ACL(perms, id(principal)));
        });
    return List.copyOf(acl);
  }

  private static Id id(String principal) {
    if (principal.startsWith("digest:")) {
      String userPassword = principal.substring("digest:".length());
      if (!userPassword.contains(":")) {
        throw new IllegalArgumentException(
            "zookeeper.set_acls: a digest principal is digest:user:password");
      }
      try {
        return new Id("digest", DigestAuthenticationProvider.generateDigest(userPassword));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    return new Id("x509", principal);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
