package io.pgregent.core.dcs;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Builds the {@link Dcs} of one kind of store from its section of Patroni's YAML. Each store
 * starter provides one, found with {@link ServiceLoader} (listed in {@code
 * META-INF/services/io.pgregent.core.dcs.DcsFactory}); the agent's auto-configuration and regentctl
 * both open stores through it, so a store is configured the same way everywhere.
 */
public interface DcsFactory {

  /** The section naming this store in Patroni's YAML and its {@code --dcs-url} scheme. */
  String section();

  /**
   * The section a {@code --dcs-url} such as {@code etcd3://host:port} stands for: by default the
   * host and port as {@code hosts}.
   *
   * @throws IllegalArgumentException when the URL has no host
   */
  default Map<String, Object> sectionFromUrl(URI url) {
    return Map.of("hosts", hostPort(url, -1));
  }

  /**
   * A client for one cluster; it connects at its first operation, not here.
   *
   * @param section the store's section as the configuration tree holds it (Patroni's key names)
   * @throws IllegalArgumentException naming the key when the section is invalid
   */
  Dcs create(Map<String, Object> section, DcsTarget target);

  /** The factories on the class path of {@code loader}, in no particular order. */
  static List<DcsFactory> available(ClassLoader loader) {
    List<DcsFactory> found = new ArrayList<>();
    ServiceLoader.load(DcsFactory.class, loader).forEach(found::add);
    return found;
  }

  /** The factories on this class's class path. */
  static List<DcsFactory> available() {
    return available(DcsFactory.class.getClassLoader());
  }

  /** The factory for a section, if its starter is on the class path. */
  static Optional<DcsFactory> forSection(String section) {
    return available().stream().filter(f -> f.section().equals(section)).findFirst();
  }

  /**
   * {@code host:port} of a URL, with {@code defaultPort} when it has none (-1: none then).
   *
   * @throws IllegalArgumentException when the URL has no host
   */
  static String hostPort(URI url, int defaultPort) {
    if (url.getHost() == null) {
      throw new IllegalArgumentException("--dcs-url " + url + ": no host");
    }
    int port = url.getPort() >= 0 ? url.getPort() : defaultPort;
    return port < 0 ? url.getHost() : url.getHost() + ":" + port;
  }
}
