package io.pgregent.dcs.autoconfigure;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What every store section of Patroni's YAML names alike: the TLS files {@code cacert}, {@code
 * cert} and {@code key}, and host lists. The annotation processor reads no Javadoc from a compiled
 * superclass, so each starter describes these keys in its {@code
 * additional-spring-configuration-metadata.json}.
 */
public abstract class StoreSectionProperties {

  private Path cacert;
  private Path cert;
  private Path key;

  /**
   * The entries of a host list as Patroni takes it: a list, or one comma-separated string, or both;
   * trimmed, blanks dropped.
   */
  protected static List<String> hostList(List<String> hosts) {
    List<String> entries = new ArrayList<>();
    for (String h : hosts) {
      for (String one : h.split(",")) {
        if (!one.isBlank()) {
          entries.add(one.trim());
        }
      }
    }
    return entries;
  }

  public Path getCacert() {
    return cacert;
  }

  public void setCacert(Path cacert) {
    this.cacert = cacert;
  }

  public Path getCert() {
    return cert;
  }

  public void setCert(Path cert) {
    this.cert = cert;
  }

  public Path getKey() {
    return key;
  }

  public void setKey(Path key) {
    this.key = key;
  }
}
