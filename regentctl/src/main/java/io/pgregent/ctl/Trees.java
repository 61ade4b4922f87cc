package io.pgregent.ctl;

import java.util.List;
import java.util.Map;

/** Reads values from the loaded configuration tree by dotted path. */
final class Trees {

  private Trees() {}

  static Object get(Map<String, Object> tree, String path) {
    Object node = tree;
    for (String part : path.split("\\.")) {
      if (!(node instanceof Map<?, ?> m)) {
        return null;
      }
      node = m.get(part);
    }
    return node;
  }

  static String string(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    return v == null || v instanceof Map || v instanceof List ? null : v.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  static boolean bool(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    if (v instanceof Boolean b) {
      return b;
    }
    return v != null && List.of("true", "on", "yes", "1").contains(v.toString().toLowerCase());
  }

  /** A list, or one comma-separated string, as strings. */
  static List<String> strings(Object v) {
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l.stream().map(String::valueOf).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
    return java.util.Arrays.stream(v.toString().split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }
}
