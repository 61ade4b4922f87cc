package io.pgregent.core.dcs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.config.DynamicConfig;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Which store the configuration picks: the one whose top-level section ({@code etcd3:}, {@code
 * zookeeper:}, {@code consul:} …) is present. Exactly one may be.
 */
public final class DcsSections {

  /** Every store section Patroni knows, so that a second one is caught even if we lack it. */
  public static final List<String> KNOWN =
      List.of("etcd3", "etcd", "zookeeper", "consul", "kubernetes", "raft", "exhibitor");

  private DcsSections() {}

  /** The store sections present among the given property names (e.g. {@code etcd3.hosts}). */
  public static Set<String> present(Iterable<String> propertyNames) {
    Set<String> found = new TreeSet<>();
    for (String name : propertyNames) {
      int dot = name.indexOf('.');
      String root = dot < 0 ? name : name.substring(0, dot);
      if (KNOWN.contains(root)) {
        found.add(root);
      }
    }
    return found;
  }

  /**
   * True if {@code section} is the configured store.
   *
   * @throws IllegalStateException naming both when more than one store section is present
   */
  public static boolean selects(String section, Iterable<String> propertyNames) {
    Set<String> found = present(propertyNames);
    if (found.size() > 1) {
      throw new IllegalStateException(
          "Configuration names more than one store: "
              + String.join(" and ", found)
              + ". Keep exactly one of these sections.");
    }
    return found.contains(section);
  }

  /**
   * Who we are in the store and the timings to start with, from the top-level keys {@code scope},
   * {@code namespace}, {@code name} and {@code bootstrap.dcs.ttl}/{@code loop_wait}/{@code
   * retry_timeout} (adjusted as {@link Timings} says).
   *
   * @param property looks up a configuration key, null when unset
   * @throws IllegalArgumentException naming the key when one is missing or invalid
   */
  public static Identity identity(Function<String, String> property) {
    String scope = required(property, "scope");
    String name = required(property, "name");
    ClusterPath path;
    try {
      path = ClusterPath.of(property.apply("namespace"), scope);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("scope: " + e.getMessage(), e);
    }
    ObjectNode dcs = JsonNodeFactory.instance.objectNode();
    for (String key : List.of("ttl", "loop_wait", "retry_timeout")) {
      String value = property.apply("bootstrap.dcs." + key);
      if (value != null && !value.isBlank()) {
        dcs.put(key, value.strip());
      }
    }
    DynamicConfig.Result read = DynamicConfig.parse(dcs);
    if (!read.valid()) {
      throw new IllegalArgumentException("bootstrap.dcs." + read.firstError().orElseThrow());
    }
    Timings timings = read.config().timings();
    return new Identity(path, name, timings.dcsTimings());
  }

  private static String required(Function<String, String> property, String key) {
    String value = property.apply(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " is required: set '" + key + ":' at the top level");
    }
    return value.trim();
  }

  /**
   * @param path the cluster's keys
   * @param member this member's name
   * @param timings ttl and retry_timeout in force until the dynamic configuration says otherwise
   */
  public record Identity(ClusterPath path, String member, DcsTimings timings) {}
}
