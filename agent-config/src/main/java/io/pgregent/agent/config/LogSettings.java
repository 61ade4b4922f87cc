package io.pgregent.agent.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Patroni's {@code log:} section as Spring Boot logging properties: {@code log.level} and {@code
 * log.loggers} (a map of logger name to level) become {@code logging.level.*}; {@code log.type:
 * json} switches the console to structured JSON (Elastic Common Schema); a plain {@code log.format}
 * (Python's {@code %(asctime)s %(levelname)s: %(message)s}) and {@code log.dateformat} (strftime)
 * become Logback's console pattern.
 */
final class LogSettings {

  /** Patroni's default format and Python's default date format. */
  static final String PATRONI_FORMAT = "%(asctime)s %(levelname)s: %(message)s";

  private static final Pattern FIELD = Pattern.compile("%\\((\\w+)\\)(-?\\d*)(?:\\.\\d+)?[sdfr]");
  private static final Map<String, String> FIELDS =
      Map.ofEntries(
          Map.entry("message", "msg"),
          Map.entry("levelname", "level"),
          Map.entry("name", "logger"),
          Map.entry("threadName", "thread"),
          Map.entry("thread", "thread"),
          Map.entry("funcName", "method"),
          Map.entry("lineno", "line"),
          Map.entry("filename", "file"),
          Map.entry("module", "file"));
  private static final Map<Character, String> STRFTIME =
      Map.ofEntries(
          Map.entry('Y', "yyyy"),
          Map.entry('y', "yy"),
          Map.entry('m', "MM"),
          Map.entry('d', "dd"),
          Map.entry('H', "HH"),
          Map.entry('I', "hh"),
          Map.entry('M', "mm"),
          Map.entry('S', "ss"),
          Map.entry('f', "SSS"),
          Map.entry('p', "a"),
          Map.entry('b', "MMM"),
          Map.entry('B', "MMMM"),
          Map.entry('a', "EEE"),
          Map.entry('A', "EEEE"),
          Map.entry('j', "DDD"),
          Map.entry('z', "Z"),
          Map.entry('Z', "z"));

  private LogSettings() {}

  /** The Spring Boot properties the {@code log:} section of {@code tree} sets. */
  static Map<String, Object> properties(Map<String, Object> tree) {
    Map<String, Object> out = new LinkedHashMap<>();
    String level = ConfigValues.string(tree, "log.level");
    if (level != null) {
      out.put("logging.level.root", springLevel(level));
    }
    Map<String, Object> loggers = ConfigValues.map(tree, "log.loggers");
    if (loggers != null) {
      loggers.forEach(
          (logger, l) -> {
            if (l != null) {
              out.put("logging.level." + logger, springLevel(String.valueOf(l)));
            }
          });
    }
    String type = ConfigValues.string(tree, "log.type");
    if (type != null && type.strip().equalsIgnoreCase("json")) {
      out.put("logging.structured.format.console", "ecs");
      return out;
    }
    Object rawFormat = ConfigValues.get(tree, "log.format");
    String format = rawFormat instanceof String f ? f : null;
    String dateformat = ConfigValues.string(tree, "log.dateformat");
    if (format != null || dateformat != null) {
      out.put(
          "logging.pattern.console", pattern(format == null ? PATRONI_FORMAT : format, dateformat));
    }
    return out;
  }

  /**
   * Python's level names as Logback's ({@code WARNING} is {@code WARN}, {@code CRITICAL} ERROR).
   */
  static String springLevel(String patroniLevel) {
    return switch (patroniLevel.strip().toUpperCase(Locale.ROOT)) {
      case "WARNING" -> "WARN";
      case "CRITICAL", "FATAL" -> "ERROR";
      case "NOTSET" -> "TRACE";
      default -> patroniLevel.strip().toUpperCase(Locale.ROOT);
    };
  }

  /** A Python logging format as a Logback pattern; unknown fields are kept as text. */
  static String pattern(String format, String dateformat) {
    String date = dateformat == null ? "yyyy-MM-dd HH:mm:ss,SSS" : javaDateFormat(dateformat);
    StringBuilder out = new StringBuilder();
    Matcher m = FIELD.matcher(format);
    int last = 0;
    while (m.find()) {
      out.append(literal(format.substring(last, m.start())));
      String field = m.group(1);
      String width = m.group(2);
      String converter =
          switch (field) {
            case "asctime" -> "d{" + date + "}";
            case "process" -> null;
            default -> FIELDS.get(field);
          };
      if (field.equals("process")) {
        out.append("${PID:-}");
      } else if (converter == null) {
        out.append(literal(m.group()));
      } else {
        out.append('%').append(width).append(converter);
      }
      last = m.end();
    }
    out.append(literal(format.substring(last)));
    return out.append("%n").toString();
  }

  /** Text copied as is: Python's {@code %%} is one percent sign, Logback's is {@code \%}. */
  private static String literal(String text) {
    return text.replace("%%", "%").replace("%", "\\%").replace("(", "\\(").replace(")", "\\)");
  }

  /** A strftime format as a {@code SimpleDateFormat} pattern, other text quoted. */
  static String javaDateFormat(String strftime) {
    StringBuilder out = new StringBuilder();
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < strftime.length(); i++) {
      char c = strftime.charAt(i);
      String mapped =
          c == '%' && i + 1 < strftime.length() ? STRFTIME.get(strftime.charAt(i + 1)) : null;
      if (mapped != null) {
        flushQuoted(out, text);
        out.append(mapped);
        i++;
      } else if (c == '%' && i + 1 < strftime.length() && strftime.charAt(i + 1) == '%') {
        text.append('%');
        i++;
      } else {
        text.append(c);
      }
    }
    flushQuoted(out, text);
    return out.toString();
  }

  private static void flushQuoted(StringBuilder out, StringBuilder text) {
    if (text.isEmpty()) {
      return;
    }
    String t = text.toString();
    if (t.chars().anyMatch(Character::isLetter) || t.contains("'")) {
      out.append('\'').append(t.replace("'", "''")).append('\'');
    } else {
      out.append(t);
    }
    text.setLength(0);
  }
}
