package io.pgregent.ctl;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.consul.ConsulDcs;
import io.pgregent.dcs.consul.autoconfigure.ConsulProperties;
import io.pgregent.dcs.etcd.EtcdDcs;
import io.pgregent.dcs.etcd.autoconfigure.EtcdProperties;
import io.pgregent.dcs.zookeeper.ZooKeeperDcs;
import io.pgregent.dcs.zookeeper.autoconfigure.ZooKeeperProperties;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The stores regentctl can open, built straight from their configuration section (no Spring). A new
 * store is one more {@link StoreType} in {@link #TYPES}.
 */
final class Stores {

  /** One kind of store: its section name in Patroni's YAML and how to open a client. */
  interface StoreType {

    /** The configuration section and {@code --dcs-url} scheme, e.g. {@code etcd3}. */
    String section();

    /** The section a {@code --dcs-url} of this store stands for. */
    Map<String, Object> sectionFromUrl(URI url);

    /**
     * A client for one cluster. Clients connect lazily; unreachable stores surface at the first
     * read.
     *
     * @throws IllegalArgumentException naming the key when the section is invalid
     */
    Dcs open(Map<String, Object> section, ClusterPath path, String member, DcsTimings timings);
  }

  static final List<StoreType> TYPES = List.of(new Etcd3(), new ZooKeeper(), new Consul());

  private Stores() {}

  static String knownSections() {
    return TYPES.stream().map(StoreType::section).collect(Collectors.joining(", "));
  }

  /** The store type of a configuration section or URL scheme, or a clear error. */
  static StoreType type(String section) {
    for (StoreType t : TYPES) {
      if (t.section().equals(section)) {
        return t;
      }
    }
    if (section.equals("etcd")) {
      throw new CtlException(
          "etcd (the v2 API) is not supported: use etcd3 (--dcs-url etcd3://host:port)");
    }
    throw new CtlException(
        section + ": regentctl cannot open this store (known: " + knownSections() + ")");
  }

  private static String hostPort(URI url) {
    if (url.getHost() == null) {
      throw new CtlException("--dcs-url " + url + ": no host");
    }
    return url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
  }

  private static final class Etcd3 implements StoreType {
    @Override
    public String section() {
      return "etcd3";
    }

    @Override
    public Map<String, Object> sectionFromUrl(URI url) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("hosts", hostPort(url).contains(":") ? hostPort(url) : hostPort(url) + ":2379");
      return s;
    }

    @Override
    public Dcs open(Map<String, Object> s, ClusterPath path, String member, DcsTimings timings) {
      EtcdProperties p = new EtcdProperties();
      p.setHost(str(s, "host"));
      p.setHosts(Trees.strings(s.get("hosts")));
      p.setUrl(str(s, "url"));
      if (str(s, "protocol") != null) {
        p.setProtocol(str(s, "protocol"));
      }
      p.setUsername(str(s, "username"));
      p.setPassword(str(s, "password"));
      p.setCacert(file(s, "cacert"));
      p.setCert(file(s, "cert"));
      p.setKey(file(s, "key"));
      return new EtcdDcs(p.toSettings(), path, member, timings);
    }
  }

  private static final class ZooKeeper implements StoreType {
    @Override
    public String section() {
      return "zookeeper";
    }

    @Override
    public Map<String, Object> sectionFromUrl(URI url) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("hosts", List.of(hostPort(url)));
      return s;
    }

    @Override
    public Dcs open(Map<String, Object> s, ClusterPath path, String member, DcsTimings timings) {
      ZooKeeperProperties p = new ZooKeeperProperties();
      p.setHosts(Trees.strings(s.get("hosts")));
      p.setUseSsl(Trees.bool(s, "use_ssl"));
      p.setCacert(file(s, "cacert"));
      p.setCert(file(s, "cert"));
      p.setKey(file(s, "key"));
      p.setKeyPassword(str(s, "key_password"));
      if (s.containsKey("verify")) {
        p.setVerify(Trees.bool(s, "verify"));
      }
      Map<String, String> auth = new LinkedHashMap<>();
      Trees.map(s, "auth_data").forEach((k, v) -> auth.put(k, String.valueOf(v)));
      p.setAuthData(auth);
      String connect = str(s, "connect_timeout");
      if (connect != null) {
        p.setConnectTimeout(Duration.ofSeconds(Long.parseLong(connect.trim())));
      }
      return new ZooKeeperDcs(p.toSettings(), path, member, timings);
    }
  }

  private static final class Consul implements StoreType {
    @Override
    public String section() {
      return "consul";
    }

    @Override
    public Map<String, Object> sectionFromUrl(URI url) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("host", hostPort(url).contains(":") ? hostPort(url) : hostPort(url) + ":8500");
      return s;
    }

    @Override
    public Dcs open(Map<String, Object> s, ClusterPath path, String member, DcsTimings timings) {
      ConsulProperties p = new ConsulProperties();
      p.setHost(str(s, "host"));
      p.setUrl(str(s, "url"));
      String port = str(s, "port");
      if (port != null) {
        p.setPort(Integer.parseInt(port.trim()));
      }
      if (str(s, "scheme") != null) {
        p.setScheme(str(s, "scheme"));
      }
      p.setToken(str(s, "token"));
      if (s.containsKey("verify")) {
        p.setVerify(Trees.bool(s, "verify"));
      }
      p.setCacert(file(s, "cacert"));
      p.setCert(file(s, "cert"));
      p.setKey(file(s, "key"));
      p.setDc(str(s, "dc"));
      if (str(s, "consistency") != null) {
        p.setConsistency(str(s, "consistency"));
      }
      return new ConsulDcs(p.toSettings(), path, member, timings);
    }
  }

  private static String str(Map<String, Object> s, String key) {
    return Trees.string(s, key);
  }

  private static Path file(Map<String, Object> s, String key) {
    String v = str(s, key);
    return v == null ? null : Path.of(v);
  }
}
