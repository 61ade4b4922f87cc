package io.pgregent.agent.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Helpers over the configuration tree: merging, reading typed values, flattening. */
final class ConfigValues {

  private ConfigValues() {}

  /** Patroni's {@code parse_bool}: null when the value is not a boolean. */
  static Boolean parseBool(Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof Number n && (n.longValue() == 0 || n.longValue() == 1)) {
      return n.longValue() == 1;
    }
    if (value instanceof String s) {
      return switch (s.strip().toLowerCase(Locale.ROOT)) {
        case "true", "yes", "on", "1", "y" -> Boolean.TRUE;
        case "false", "no", "off", "0", "n" -> Boolean.FALSE;
        default -> null;
      };
    }
    return null;
  }

  /** A whole number, or null when the value is not one. */
  static Long parseLong(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return ((Number) value).longValue();
    }
    if (value instanceof java.math.BigInteger) {
      return null;
    }
    if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return d.longValue();
    }
    if (value instanceof String s) {
      try {
        return Long.parseLong(s.strip());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  static boolean isScalar(Object value) {
    return value instanceof String
        || value instanceof Number
        || value instanceof Boolean
        || value instanceof java.util.Date;
  }

  /**
   * Patroni's {@code patch_config}: merges {@code patch} into {@code target}; maps are merged key
   * by key, anything else replaces, a null removes the key.
   */
  @SuppressWarnings("unchecked")
  static void deepMerge(Map<String, Object> target, Map<String, Object> patch) {
    for (Map.Entry<String, Object> e : patch.entrySet()) {
      Object value = e.getValue();
      if (value == null) {
        target.remove(e.getKey());
      } else if (value instanceof Map<?, ?> m && target.get(e.getKey()) instanceof Map<?, ?> t) {
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) t);
        deepMerge(copy, (Map<String, Object>) m);
        target.put(e.getKey(), copy);
      } else {
        target.put(e.getKey(), value);
      }
    }
  }

  /**
   * A copy with string keys and mutable maps and lists; unless {@code keepNulls}, null map values
   * are dropped (a key written without a value counts as absent).
   */
  static Object normalize(Object value, boolean keepNulls) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach(
          (k, v) -> {
            if (v != null || keepNulls) {
              out.put(String.valueOf(k), normalize(v, keepNulls));
            }
          });
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) {
        out.add(normalize(o, keepNulls));
      }
      return out;
    }
    return value;
  }

  /** The value at a dotted path, or null. */
  static Object get(Map<String, Object> tree, String path) {
    Object current = tree;
    for (String part : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> m)) {
        return null;
      }
      current = m.get(part);
    }
    return current;
  }

  static String string(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    return v == null || !isScalar(v) ? null : String.valueOf(v);
  }

  static boolean bool(Map<String, Object> tree, String path, boolean fallback) {
    Boolean b = parseBool(get(tree, path));
    return b == null ? fallback : b;
  }

  static Long number(Map<String, Object> tree, String path) {
    return parseLong(get(tree, path));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  static List<Object> list(Map<String, Object> tree, String path) {
    Object v = get(tree, path);
    if (v instanceof List<?> l) {
      return new ArrayList<>(l);
    }
    return List.of();
  }

  static List<String> strings(Map<String, Object> tree, String path) {
    List<String> out = new ArrayList<>();
    for (Object o : list(tree, path)) {
      if (o != null) {
        out.add(String.valueOf(o));
      }
    }
    return out;
  }

  /**
   * The tree as flat Spring property names: {@code a.b.c} for map entries, {@code a.b[0]} for list
   * items; a map key containing a dot or bracket is written {@code a.[x.y]}-style as {@code
   * a[x.y]}. Empty maps and lists become an empty string, as Spring's YAML loader does.
   */
  static Map<String, Object> flatten(Map<String, Object> tree) {
    Map<String, Object> out = new LinkedHashMap<>();
    flatten("", tree, out);
    return out;
  }

  private static void flatten(String prefix, Object value, Map<String, Object> out) {
    if (value instanceof Map<?, ?> m) {
      if (m.isEmpty() && !prefix.isEmpty()) {
        out.put(prefix, "");
      }
      m.forEach((k, v) -> flatten(child(prefix, String.valueOf(k)), v, out));
    } else if (value instanceof List<?> l) {
      if (l.isEmpty()) {
        out.put(prefix, "");
      }
      for (int i = 0; i < l.size(); i++) {
        flatten(prefix + "[" + i + "]", l.get(i), out);
      }
    } else if (value != null) {
      out.put(prefix, value);
    }
  }

  private static String child(String prefix, String key) {
    boolean plain = !key.isEmpty() && key.chars().noneMatch(c -> c == '.' || c == '[' || c == ']');
    if (!plain) {
      return prefix + "[" + key + "]";
    }
    return prefix.isEmpty() ? key : prefix + "." + key;
  }
}
