package io.pgregent.dcs.zookeeper.autoconfigure;

import io.pgregent.dcs.autoconfigure.StoreSectionProperties;
import io.pgregent.dcs.zookeeper.ZooKeeperSettings;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.convert.DurationUnit;

/** Patroni's {@code zookeeper:} section. */
@ConfigurationProperties(prefix = "zookeeper")
public class ZooKeeperProperties extends StoreSectionProperties {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperProperties.class);
  private static final int DEFAULT_PORT = 2181;

  /**
   * ZooKeeper servers, {@code host:port} each (a list, or one comma-separated string); the port
   * defaults to 2181.
   */
  private List<String> hosts = new ArrayList<>();

  /** How long one connection attempt may take, in seconds; defaults to retry_timeout. */
  @DurationUnit(ChronoUnit.SECONDS)
  private Duration connectTimeout;

  /** Whether to connect with TLS; when false the other TLS settings are ignored. */
  private boolean useSsl;

  /** The private key's password. */
  private String keyPassword;

  /** Whether to check that the server certificate names the host. */
  private boolean verify = true;

  /**
   * ACL for every znode Regent creates: principal → permissions (CREATE, READ, WRITE, DELETE,
   * ADMIN, ALL). Principals are x509 names ({@code CN=...}) or {@code digest:user:password}.
   */
  private Map<String, List<String>> setAcls = new LinkedHashMap<>();

  /** Credentials sent on connect: scheme → credential, e.g. {@code digest: user:password}. */
  private Map<String, String> authData = new LinkedHashMap<>();

  /** The settings the store client uses, with hosts resolved. */
  public ZooKeeperSettings toSettings() {
    List<String> servers = new ArrayList<>();
    for (String one : hostList(hosts)) {
      servers.add(one.contains(":") ? one : one + ":" + DEFAULT_PORT);
    }
    if (servers.isEmpty()) {
      servers.add("127.0.0.1:" + DEFAULT_PORT);
      log.info("zookeeper.hosts is empty: using 127.0.0.1:{}", DEFAULT_PORT);
    }
    if (!useSsl && (getCacert() != null || getCert() != null || getKey() != null)) {
      log.warn(
          "zookeeper.cacert, zookeeper.cert and zookeeper.key are ignored: zookeeper.use_ssl is"
              + " false");
    }
    return new ZooKeeperSettings(
        servers,
        connectTimeout,
        useSsl,
        useSsl ? getCacert() : null,
        useSsl ? getCert() : null,
        useSsl ? getKey() : null,
        useSsl ? keyPassword : null,
        verify,
        setAcls,
        authData);
  }

  public List<String> getHosts() {
    return hosts;
  }

  public void setHosts(List<String> hosts) {
    this.hosts = hosts;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  public boolean isUseSsl() {
    return useSsl;
  }

  public void setUseSsl(boolean useSsl) {
    this.useSsl = useSsl;
  }

  public String getKeyPassword() {
    return keyPassword;
  }

  public void setKeyPassword(String keyPassword) {
    this.keyPassword = keyPassword;
  }

  public boolean isVerify() {
    return verify;
  }

  public void setVerify(boolean verify) {
    this.verify = verify;
  }

  public Map<String, List<String>> getSetAcls() {
    return setAcls;
  }

  public void setSetAcls(Map<String, List<String>> setAcls) {
    this.setAcls = setAcls;
  }

  public Map<String, String> getAuthData() {
    return authData;
  }

  public void setAuthData(Map<String, String> authData) {
    this.authData = authData;
  }

  @Override
  public String toString() {
    return "ZooKeeperProperties[hosts="
        + hosts
        + ", connectTimeout="
        + connectTimeout
        + ", useSsl="
        + useSsl
        + ", cacert="
        + getCacert()
        + ", cert="
        + getCert()
        + ", key="
        + (getKey() == null ? "-" : "****")
        + ", keyPassword="
        + (keyPassword == null ? "-" : "****")
        + ", verify="
        + verify
        + ", setAcls="
        + setAcls.size()
        + " principal(s), authData="
        + authData.keySet()
        + "]";
  }
}
