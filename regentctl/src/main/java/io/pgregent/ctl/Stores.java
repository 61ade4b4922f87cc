package io.pgregent.ctl;

import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsFactory;
import io.pgregent.core.dcs.DcsTarget;
import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The stores regentctl can open: every {@link DcsFactory} on the class path, so the CLI binds a
 * store's section exactly as the agent does. A new store is a new starter, not a change here.
 */
final class Stores {

  /** The order stores are listed in messages; others follow by name. */
  private static final List<String> USUAL = List.of("etcd3", "zookeeper", "consul");

  private Stores() {}

  static List<DcsFactory> all() {
    return DcsFactory.available().stream()
        .sorted(
            Comparator.comparingInt(
                    (DcsFactory f) ->
                        USUAL.contains(f.section()) ? USUAL.indexOf(f.section()) : USUAL.size())
                .thenComparing(DcsFactory::section))
        .toList();
  }

  static String knownSections() {
    return all().stream().map(DcsFactory::section).collect(Collectors.joining(", "));
  }

  /** The store of a configuration section or URL scheme, or a clear error. */
  static DcsFactory type(String section) {
    for (DcsFactory f : all()) {
      if (f.section().equals(section)) {
        return f;
      }
    }
    if (section.equals("etcd")) {
      throw new CtlException(
          "etcd (the v2 API) is not supported: use etcd3 (--dcs-url etcd3://host:port)");
    }
    throw new CtlException(
        section + ": regentctl cannot open this store (known: " + knownSections() + ")");
  }

  /** The section a {@code --dcs-url} stands for. */
  static Map<String, Object> sectionFromUrl(String store, URI url) {
    try {
      return type(store).sectionFromUrl(url);
    } catch (IllegalArgumentException e) {
      throw new CtlException(e.getMessage());
    }
  }

  /**
   * A client of the store for one cluster; it connects at its first operation.
   *
   * @throws CtlException naming the key when the section is invalid
   */
  static Dcs open(String store, Map<String, Object> section, DcsTarget target) {
    try {
      return type(store).create(section, target);
    } catch (IllegalArgumentException e) {
      throw new CtlException(e.getMessage());
    }
  }
}
