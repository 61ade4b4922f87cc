package io.pgregent.core.dcs;

import java.util.Objects;

/**
 * Where a cluster's keys live: {@code /<namespace>/<scope>/}, with the namespace {@code /service}
 * by default and repeated slashes folded, as Patroni lays it out.
 */
public final class ClusterPath {

  public static final String DEFAULT_NAMESPACE = "/service";

  private final String base;
  private final String scope;

  private ClusterPath(String namespace, String scope) {
    this.scope = scope;
    String ns = namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace;
    this.base = ("/" + ns + "/" + scope).replaceAll("/+", "/").replaceAll("/$", "");
  }

  /**
   * @param namespace the top-level {@code namespace} setting, null or blank for the default
   * @param scope the cluster name
   */
  public static ClusterPath of(String namespace, String scope) {
    Objects.requireNonNull(scope, "scope");
    if (scope.isBlank() || scope.contains("/")) {
      throw new IllegalArgumentException("scope must be a non-empty name without '/': " + scope);
    }
    return new ClusterPath(namespace, scope);
  }

  public String scope() {
    return scope;
  }

  /** The prefix every key of the cluster starts with, ending in a slash. */
  public String prefix() {
    return base + "/";
  }

  /** The absolute key for a path relative to the cluster, e.g. {@code leader}. */
  public String key(String relative) {
    return prefix() + relative;
  }

  public String key(ClusterKey key) {
    return key(key.path());
  }

  public String memberKey(String member) {
    return key(ClusterKey.MEMBERS_DIR + member);
  }

  /** The path relative to the cluster, or null when the key lies outside it. */
  public String relative(String absoluteKey) {
    return absoluteKey.startsWith(prefix()) ? absoluteKey.substring(prefix().length()) : null;
  }

  @Override
  public String toString() {
    return prefix();
  }
}
