package io.pgregent.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Patroni's value forms (whole numbers as numbers or numeric strings, its boolean words, objects),
 * read one key at a time; every problem is collected with the key it belongs to, never thrown.
 */
abstract class ValueReader {

  private static final Pattern WHOLE = Pattern.compile("[+-]?\\d{1,19}");

  final List<ConfigError> errors = new ArrayList<>();
  final List<ConfigError> warnings = new ArrayList<>();

  void error(String key, String message) {
    errors.add(new ConfigError(key, message));
  }

  void warn(String key, String message) {
    warnings.add(new ConfigError(key, message));
  }

  static Object scalar(JsonNode v) {
    return v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText();
  }

  ObjectNode object(ObjectNode c, String field, String key) {
    JsonNode n = c.get(field);
    if (!present(n)) {
      return null;
    }
    if (!n.isObject()) {
      error(key, "expected an object (key: value), not " + describe(n));
      return null;
    }
    return (ObjectNode) n;
  }

  boolean bool(ObjectNode c, String key, boolean fallback) {
    return bool(c, "", key, fallback);
  }

  boolean bool(ObjectNode c, String prefix, String field, boolean fallback) {
    JsonNode n = c.get(field);
    if (!present(n)) {
      return fallback;
    }
    Boolean b = parseBool(n);
    if (b == null) {
      error(
          prefix.isEmpty() ? field : prefix + "." + field,
          "expected true or false, not " + describe(n));
      return fallback;
    }
    return b;
  }

  long whole(ObjectNode c, String key, long min, long max, long fallback) {
    return whole(c, "", key, min, max, fallback);
  }

  long whole(ObjectNode c, String prefix, String field, long min, long max, long fallback) {
    String key = prefix + field;
    JsonNode n = c.get(field);
    if (!present(n)) {
      return fallback;
    }
    Long value = null;
    if (n.isIntegralNumber()) {
      value = n.canConvertToLong() ? n.longValue() : null;
    } else if (n.isFloatingPointNumber()) {
      double d = n.doubleValue();
      if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.0e18) {
        value = (long) d;
      }
    } else if (n.isTextual() && WHOLE.matcher(n.asText().strip()).matches()) {
      try {
        value = Long.parseLong(n.asText().strip());
      } catch (NumberFormatException e) {
        value = null;
      }
    }
    if (value == null) {
      error(key, "expected a whole number, not " + describe(n));
      return fallback;
    }
    if (value < min) {
      error(key, "must be at least " + min + ", not " + value);
      return fallback;
    }
    if (value > max) {
      error(key, "must be at most " + max + ", not " + value);
      return fallback;
    }
    return value;
  }

  static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !n.isMissingNode();
  }

  static boolean truthy(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return false;
    }
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (n.isNumber()) {
      return n.doubleValue() != 0;
    }
    if (n.isContainerNode()) {
      return n.size() > 0;
    }
    return !n.asText().isEmpty();
  }

  static String describe(JsonNode n) {
    if (n.isObject()) {
      return "an object";
    }
    if (n.isArray()) {
      return "a list";
    }
    String text = n.toString();
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }

  /** Patroni's boolean forms; null when the value is none of them. */
  static Boolean parseBool(JsonNode n) {
    if (n.isBoolean()) {
      return n.booleanValue();
    }
    if (!n.isTextual() && !n.isIntegralNumber()) {
      return null;
    }
    return switch (n.asText().strip().toLowerCase(Locale.ROOT)) {
      case "on", "true", "yes", "1" -> Boolean.TRUE;
      case "off", "false", "no", "0" -> Boolean.FALSE;
      default -> null;
    };
  }
}
