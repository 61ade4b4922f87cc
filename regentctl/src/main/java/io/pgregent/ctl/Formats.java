package io.pgregent.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/** JSON and YAML text as patronictl writes it (Python's json.dumps and yaml.safe_dump). */
final class Formats {

  static final ObjectMapper JSON = new ObjectMapper();

  private Formats() {}

  /** One line of JSON with Python's {@code ", "} and {@code ": "} separators; nulls dropped. */
  static String json(Object value) {
    StringBuilder b = new StringBuilder();
    writeJson(plain(value), b);
    return b.toString();
  }

  @SuppressWarnings("unchecked")
  private static void writeJson(Object v, StringBuilder b) {
    if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
        if (e.getValue() == null) {
          continue;
        }
        if (!first) {
          b.append(", ");
        }
        first = false;
        writeJson(e.getKey(), b);
        b.append(": ");
        writeJson(e.getValue(), b);
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(", ");
        }
        writeJson(l.get(i), b);
      }
      b.append(']');
    } else {
      try {
        b.append(JSON.writeValueAsString(v));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Block-style YAML with sorted keys, nulls in maps dropped when {@code dropNulls}. */
  static String yaml(Object value, boolean dropNulls) {
    DumperOptions o = new DumperOptions();
    o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    o.setIndent(2);
    o.setIndicatorIndent(0);
    o.setWidth(Integer.MAX_VALUE);
    o.setSplitLines(false);
    Yaml yaml = new Yaml(new Representer(o), o);
    return yaml.dump(sorted(plain(value), dropNulls));
  }

  /** Parses YAML (or JSON) into a JSON tree. */
  static JsonNode parseYaml(String text) {
    Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    return JSON.valueToTree(parsed);
  }

  /** Jackson trees become maps, lists and scalars. */
  static Object plain(Object value) {
    if (value instanceof JsonNode n) {
      return JSON.convertValue(n, Object.class);
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(plain(x)));
      return out;
    }
    return value;
  }

  private static Object sorted(Object value, boolean dropNulls) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> out = new TreeMap<>();
      m.forEach(
          (k, v) -> {
            if (v != null || !dropNulls) {
              out.put(String.valueOf(k), sorted(v, dropNulls));
            }
          });
      return out;
    }
    if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(sorted(x, dropNulls)));
      return out;
    }
    return value;
  }
}
