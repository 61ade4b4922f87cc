package io.pgregent.core.dcs;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a configuration section (Patroni's key names, e.g. {@code use_ssl}) onto the setters of a
 * store's properties class ({@code setUseSsl}) where no Spring binder runs: regentctl. Values come
 * as YAML gives them; strings are converted the way Patroni reads them (durations in seconds,
 * {@code on}/{@code yes} as true, a comma-separated string as a list). Keys the class lacks are
 * left alone: the agent's configuration check reports them.
 */
public final class SectionBinder {

  private SectionBinder() {}

  /**
   * Sets every key of {@code section} that {@code target} has a setter for.
   *
   * @param name the section's name, for messages ({@code zookeeper})
   * @return {@code target}
   * @throws IllegalArgumentException naming the key when a value cannot be converted
   */
  public static <T> T bind(String name, Map<String, ?> section, T target) {
    Map<String, Method> setters = new LinkedHashMap<>();
    for (Method m : target.getClass().getMethods()) {
      if (m.getName().startsWith("set")
          && m.getParameterCount() == 1
          && !Modifier.isStatic(m.getModifiers())) {
        setters.put(canonical(m.getName().substring(3)), m);
      }
    }
    for (Map.Entry<String, ?> e : section.entrySet()) {
      Method setter = setters.get(canonical(e.getKey()));
      if (setter == null || e.getValue() == null) {
        continue;
      }
      String key = name + "." + e.getKey();
      Object value = convert(key, e.getValue(), setter.getGenericParameterTypes()[0]);
      try {
        setter.invoke(target, value);
      } catch (IllegalAccessException ex) {
        throw new IllegalStateException(key + ": cannot set " + setter, ex);
      } catch (InvocationTargetException ex) {
        Throwable cause = ex.getCause();
        throw new IllegalArgumentException(key + ": " + cause.getMessage(), cause);
      }
    }
    return target;
  }

  /** {@code use_ssl}, {@code use-ssl} and {@code UseSsl} name the same setting. */
  private static String canonical(String key) {
    return key.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
  }

  private static Object convert(String key, Object value, Type type) {
    Class<?> raw = rawClass(type);
    if (raw == String.class) {
      return scalar(key, value);
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return bool(key, value);
    }
    if (raw == int.class || raw == Integer.class) {
      return (int) whole(key, value, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    if (raw == long.class || raw == Long.class) {
      return whole(key, value, Long.MIN_VALUE, Long.MAX_VALUE);
    }
    if (raw == Path.class) {
      return Path.of(scalar(key, value));
    }
    if (raw == Duration.class) {
      return seconds(key, value);
    }
    if (raw == List.class) {
      Type element = typeArgument(type, 0);
      List<Object> out = new ArrayList<>();
      for (Object item : items(key, value)) {
        out.add(convert(key, item, element));
      }
      return out;
    }
    if (raw == Map.class) {
      if (!(value instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException(key + ": expected a mapping, not '" + value + "'");
      }
      Type element = typeArgument(type, 1);
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), convert(key + "." + k, v, element)));
      return out;
    }
    throw new IllegalStateException(key + ": no conversion to " + type);
  }

  private static Class<?> rawClass(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }

  private static Type typeArgument(Type type, int index) {
    return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : String.class;
  }

  private static String scalar(String key, Object value) {
    if (value instanceof Map || value instanceof List) {
      throw new IllegalArgumentException(key + ": expected a single value, not '" + value + "'");
    }
    return value.toString();
  }

  private static List<?> items(String key, Object value) {
    if (value instanceof List<?> l) {
      return l;
    }
    return Arrays.stream(scalar(key, value).split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private static boolean bool(String key, Object value) {
    if (value instanceof Boolean b) {
      return b;
    }
    String s = scalar(key, value).trim().toLowerCase(Locale.ROOT);
    if (List.of("true", "on", "yes", "1").contains(s)) {
      return true;
    }
    if (List.of("false", "off", "no", "0").contains(s)) {
      return false;
    }
    throw new IllegalArgumentException(key + ": '" + value + "' is not true or false");
  }

  private static long whole(String key, Object value, long min, long max) {
    try {
      long n = Long.parseLong(scalar(key, value).trim());
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": '" + value + "' is not a whole number");
    }
  }

  /** Seconds as Patroni writes them, or a number with a unit: {@code 500ms}, {@code 10s}. */
  private static Duration seconds(String key, Object value) {
    String s = scalar(key, value).trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
      }
      if (s.endsWith("s")) {
        s = s.substring(0, s.length() - 1).trim();
      } else if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).trim()));
      }
      return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          key + ": '" + value + "' is not a duration in seconds (e.g. 10)");
    }
  }
}
