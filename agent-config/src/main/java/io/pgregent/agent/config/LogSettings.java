package io.pgregent.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Patroni's {@code log:} section, read once: where log lines go (standard error, or a rotating
 * {@code patroni.log} in {@code log.dir}), their shape (a Python logging format turned into a
 * Logback pattern, or Patroni's JSON fields) and the levels.
 *
 * <p>The pattern uses conversion words the agent registers: {@link #LEVEL_NAME} (Python's level
 * names, {@code WARNING} rather than {@code WARN}), {@link #LEVEL_NO}, {@link #PROCESS}, {@link
 * #MESSAGE} and {@link #TRACEBACK} (both honour {@code traceback_level}).
 *
 * @param json {@code log.type: json}
 * @param level the root level, as a Logback level name
 * @param tracebackAtDebugOnly {@code traceback_level: DEBUG}: a stack trace is printed only when
 *     its logger is enabled for DEBUG; otherwise the line ends with {@code , DETAIL: '<error>'}
 * @param pattern the Logback pattern of a plain line, ending with a new line and the traceback
 * @param jsonFields the fields of a JSON line in order, each with the key it is printed under
 * @param dateFormat the {@code DateTimeFormatter} pattern of {@code asctime} in JSON lines
 * @param staticFields {@code log.static_fields}, added to every JSON line
 * @param dir {@code log.dir}: lines go to {@code patroni.log} there; null for standard error
 * @param mode {@code log.mode}: the log files' permissions, null to follow the umask
 * @param fileNum {@code log.file_num}: rotated files kept ({@code patroni.log.1} …); 0 never
 *     rotates
 * @param fileSize {@code log.file_size}: the size in bytes {@code patroni.log} stays below; 0 never
 *     rotates
 * @param loggers {@code log.loggers}: logger name to Logback level name, null to inherit
 */
public record LogSettings(
    boolean json,
    String level,
    boolean tracebackAtDebugOnly,
    String pattern,
    List<JsonField> jsonFields,
    String dateFormat,
    Map<String, Object> staticFields,
    Path dir,
    Integer mode,
    int fileNum,
    long fileSize,
    Map<String, String> loggers) {

  /** A field of a JSON line: a Python LogRecord attribute and the key it is printed under. */
  public record JsonField(String field, String key) {}

  /** Patroni's default format. */
  public static final String PATRONI_FORMAT = "%(asctime)s %(levelname)s: %(message)s";

  /** Python's date format of {@code asctime} when no {@code dateformat} is given. */
  public static final String PYTHON_DATE_FORMAT = "yyyy-MM-dd HH:mm:ss,SSS";

  /** Patroni's file name in {@code log.dir}. */
  public static final String FILE_NAME = "patroni.log";

  /** Patroni's defaults: 4 files of 25 MB. */
  public static final int DEFAULT_FILE_NUM = 4;

  public static final long DEFAULT_FILE_SIZE = 25_000_000L;

  /** Conversion word: Python's level name. */
  public static final String LEVEL_NAME = "pyLevelName";

  /** Conversion word: Python's level number. */
  public static final String LEVEL_NO = "pyLevelNo";

  /** Conversion word: the process id. */
  public static final String PROCESS = "pyProcess";

  /** Conversion word: the message, with the error's detail when its traceback is not shown. */
  public static final String MESSAGE = "pyMessage";

  /** Conversion word: the stack trace, when {@code traceback_level} shows it. */
  public static final String TRACEBACK = "pyTraceback";

  private static final Pattern FIELD =
      Pattern.compile("%\\((\\w+)\\)([#0\\- +]*)(\\d*)(?:\\.(\\d+))?([diouxXeEfFgGcrsa])");
  private static final Pattern JSON_FIELD = Pattern.compile("%\\((.+?)\\)");
  private static final Map<String, String> FIELDS =
      Map.ofEntries(
          Map.entry("message", MESSAGE),
          Map.entry("levelname", LEVEL_NAME),
          Map.entry("levelno", LEVEL_NO),
          Map.entry("process", PROCESS),
          Map.entry("name", "logger"),
          Map.entry("threadName", "thread"),
          Map.entry("thread", "thread"),
          Map.entry("funcName", "method"),
          Map.entry("lineno", "line"),
          Map.entry("filename", "file"),
          Map.entry("module", "class{0}"),
          Map.entry("pathname", "class"),
          Map.entry("relativeCreated", "relative"),
          Map.entry("msecs", "d{SSS}"));

  /** The LogRecord attributes a JSON line can carry. */
  public static final List<String> JSON_ATTRIBUTES =
      List.of(
          "asctime",
          "message",
          "levelname",
          "levelno",
          "name",
          "process",
          "processName",
          "thread",
          "threadName",
          "funcName",
          "lineno",
          "filename",
          "module",
          "pathname",
          "created",
          "msecs",
          "relativeCreated",
          "exc_info");

  private static final Map<Character, String> STRFTIME =
      Map.ofEntries(
          Map.entry('Y', "yyyy"),
          Map.entry('y', "yy"),
          Map.entry('m', "MM"),
          Map.entry('d', "dd"),
          Map.entry('e', "ppd"),
          Map.entry('H', "HH"),
          Map.entry('I', "hh"),
          Map.entry('M', "mm"),
          Map.entry('S', "ss"),
          Map.entry('f', "SSS"),
          Map.entry('p', "a"),
          Map.entry('b', "MMM"),
          Map.entry('h', "MMM"),
          Map.entry('B', "MMMM"),
          Map.entry('a', "EEE"),
          Map.entry('A', "EEEE"),
          Map.entry('j', "DDD"),
          Map.entry('z', "Z"),
          Map.entry('Z', "z"),
          Map.entry('F', "yyyy-MM-dd"),
          Map.entry('T', "HH:mm:ss"),
          Map.entry('R', "HH:mm"),
          Map.entry('D', "MM/dd/yy"),
          Map.entry('x', "MM/dd/yy"),
          Map.entry('X', "HH:mm:ss"),
          Map.entry('c', "EEE MMM ppd HH:mm:ss yyyy"));

  private static final List<String> LEVELS =
      List.of("NOTSET", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL");

  /** Patroni's defaults: plain lines in Patroni's format on standard error, INFO. */
  public static final LogSettings DEFAULT = read(Map.of(), p -> {});

  public LogSettings {
    jsonFields = List.copyOf(jsonFields);
    staticFields = Collections.unmodifiableMap(new LinkedHashMap<>(staticFields));
    loggers = Collections.unmodifiableMap(new LinkedHashMap<>(loggers));
  }

  /** True when lines go to {@code log.dir} and {@code patroni.log} rotates there. */
  public boolean rotates() {
    return dir != null && fileNum > 0 && fileSize > 0;
  }

  /**
   * Reads the {@code log:} section of {@code tree}, reporting what Patroni's validator rejects as
   * an error and what Patroni ignores with a warning; the settings are usable when no error was
   * reported. Plain keys' types ({@code level}, {@code file_num}, …) are checked by {@link
   * ConfigKeys}.
   */
  static LogSettings read(Map<String, Object> tree, Consumer<ConfigProblem> problems) {
    String type = ConfigValues.string(tree, "log.type");
    boolean json = type != null && type.strip().equalsIgnoreCase("json");
    String level = ConfigValues.string(tree, "log.level");
    String traceback = ConfigValues.string(tree, "log.traceback_level");
    Object dateValue = ConfigValues.get(tree, "log.dateformat");
    String dateformat =
        dateValue == null
                || !ConfigValues.isScalar(dateValue)
                || String.valueOf(dateValue).isEmpty()
            ? null
            : String.valueOf(dateValue);
    String javaDate = dateformat == null ? PYTHON_DATE_FORMAT : javaDateFormat(dateformat);

    Object format = ConfigValues.get(tree, "log.format");
    String plainFormat = PATRONI_FORMAT;
    List<JsonField> fields = new ArrayList<>();
    if (format != null) {
      if (ConfigValues.isScalar(format) && !(format instanceof String)) {
        problems.accept(
            ConfigProblem.error(
                "log.format",
                "expected a string or a list of fields, not "
                    + Secrets.show("log.format", format)));
      } else if (json) {
        jsonFields(format, fields, problems);
      } else if (format instanceof String s) {
        plainFormat = s;
      } else {
        problems.accept(
            ConfigProblem.warning(
                "log.format",
                "a list of fields is for log.type json; Patroni's default format is used"));
      }
    }
    if (json && fields.isEmpty()) {
      jsonFields(plainFormat, fields, problems);
    }

    Map<String, Object> staticFields = new LinkedHashMap<>();
    Object statics = ConfigValues.get(tree, "log.static_fields");
    if (statics instanceof Map<?, ?> m) {
      m.forEach((k, v) -> staticFields.put(String.valueOf(k), v));
    }

    Map<String, String> loggers = new LinkedHashMap<>();
    Object loggerMap = ConfigValues.get(tree, "log.loggers");
    if (loggerMap instanceof Map<?, ?> m) {
      m.forEach(
          (name, l) -> {
            String key = "log.loggers." + name;
            if (l == null || !ConfigValues.isScalar(l) || !isLevel(String.valueOf(l))) {
              problems.accept(
                  ConfigProblem.error(
                      key,
                      "expected a level (DEBUG, INFO, WARNING, ERROR, CRITICAL), not "
                          + (l instanceof Map<?, ?>
                              ? "a map"
                              : l instanceof List<?> ? "a list" : Secrets.show(key, l))));
            } else {
              loggers.put(String.valueOf(name), logbackLevel(String.valueOf(l)));
            }
          });
    }

    String dir = ConfigValues.string(tree, "log.dir");
    Long fileNum = ConfigValues.number(tree, "log.file_num");
    Long fileSize = ConfigValues.number(tree, "log.file_size");
    return new LogSettings(
        json,
        level == null || !isLevel(level) ? "INFO" : logbackLevel(level),
        traceback != null && traceback.strip().equalsIgnoreCase("DEBUG"),
        // JSON lines print a field Regent does not fill as null, as Patroni's.
        pattern(plainFormat, dateformat, json ? p -> {} : problems),
        fields,
        javaDate,
        staticFields,
        dir == null || dir.isBlank() ? null : Path.of(dir),
        mode(ConfigValues.get(tree, "log.mode"), problems),
        fileNum == null ? DEFAULT_FILE_NUM : (int) Math.max(0, Math.min(fileNum, 1_000_000)),
        fileSize == null ? DEFAULT_FILE_SIZE : Math.max(0, fileSize),
        loggers);
  }

  /** Patroni's JSON fields: a format string's {@code %(field)} names, or a list of names. */
  private static void jsonFields(
      Object format, List<JsonField> fields, Consumer<ConfigProblem> problems) {
    if (format instanceof String s) {
      Matcher m = JSON_FIELD.matcher(s);
      while (m.find()) {
        fields.add(new JsonField(m.group(1), m.group(1)));
      }
      return;
    }
    List<?> items;
    if (format instanceof Map<?, ?> map) {
      // Patroni documents a list of field: key pairs; a map says the same.
      items = map.entrySet().stream().map(e -> Map.of(e.getKey(), e.getValue())).toList();
    } else {
      items = (List<?>) format;
    }
    if (items.isEmpty()) {
      problems.accept(ConfigProblem.error("log.format", "should contain at least one field"));
      return;
    }
    for (int i = 0; i < items.size(); i++) {
      Object item = items.get(i);
      String key = "log.format[" + i + "]";
      if (item instanceof String name) {
        fields.add(new JsonField(name, name));
      } else if (item instanceof Map<?, ?> renames
          && !renames.isEmpty()
          && renames.values().stream().allMatch(v -> v instanceof String)) {
        renames.forEach((f, k) -> fields.add(new JsonField(String.valueOf(f), (String) k)));
      } else {
        problems.accept(
            ConfigProblem.error(key, "expected a field name or field: key (both strings)"));
      }
    }
  }

  /** Octal permissions: an integer 0-511 (YAML reads {@code 0644} as octal) or an octal string. */
  private static Integer mode(Object value, Consumer<ConfigProblem> problems) {
    if (value == null) {
      return null;
    }
    Long n = null;
    if (value instanceof String s && s.strip().matches("0[0-7]*")) {
      n = Long.parseLong(s.strip(), 8);
    } else if (!(value instanceof String)) {
      n = ConfigValues.parseLong(value);
    }
    if (n == null || n < 0 || n > 0777) {
      problems.accept(
          ConfigProblem.error(
              "log.mode",
              "expected file permissions such as 0644 (0 to 0777), not "
                  + (ConfigValues.isScalar(value)
                      ? Secrets.show("log.mode", value)
                      : "a list or map")));
      return null;
    }
    return n.intValue();
  }

  private static boolean isLevel(String name) {
    return LEVELS.contains(name.strip().toUpperCase(Locale.ROOT));
  }

  /**
   * Python's level names as Logback's ({@code WARNING} is {@code WARN}, {@code CRITICAL} ERROR);
   * null for {@code NOTSET} (inherit).
   */
  static String logbackLevel(String patroniLevel) {
    return switch (patroniLevel.strip().toUpperCase(Locale.ROOT)) {
      case "WARNING" -> "WARN";
      case "CRITICAL", "FATAL" -> "ERROR";
      case "NOTSET" -> null;
      default -> patroniLevel.strip().toUpperCase(Locale.ROOT);
    };
  }

  /** A Python logging format as a Logback pattern, the traceback after the line. */
  static String pattern(String format, String dateformat) {
    return pattern(format, dateformat, p -> {});
  }

  private static String pattern(
      String format, String dateformat, Consumer<ConfigProblem> problems) {
    String date = dateformat == null ? PYTHON_DATE_FORMAT : javaDateFormat(dateformat);
    if (date.contains("\"")) {
      // Logback's option quoting cannot carry a double quote.
      problems.accept(
          ConfigProblem.warning("log.dateformat", "a double quote cannot be printed; left out"));
      date = date.replace("\"", "");
    }
    StringBuilder out = new StringBuilder();
    Matcher m = FIELD.matcher(format);
    int last = 0;
    while (m.find()) {
      out.append(literal(format.substring(last, m.start())));
      String field = m.group(1);
      String converter = field.equals("asctime") ? "d{\"" + date + "\"}" : FIELDS.get(field);
      if (converter == null) {
        problems.accept(
            ConfigProblem.warning(
                "log.format",
                "%(" + field + ") is not a field Regent fills; it is printed as written"));
        out.append(literal(m.group()));
      } else {
        out.append('%');
        String width = m.group(3);
        if (!width.isEmpty()) {
          out.append(m.group(2).contains("-") ? "-" : "").append(width);
        }
        if (m.group(4) != null && m.group(5).equals("s")) {
          out.append(".-").append(m.group(4));
        }
        if (format.startsWith("{", m.end())) {
          // A "{" right after a conversion would be read as its option: a group ends it.
          out.append("(%").append(converter).append("){}");
        } else {
          out.append(converter);
        }
      }
      last = m.end();
    }
    out.append(literal(format.substring(last)));
    return out.append("%n%").append(TRACEBACK).toString();
  }

  /** Text copied as is: Python's {@code %%} is one percent sign; Logback's specials escaped. */
  private static String literal(String text) {
    StringBuilder out = new StringBuilder();
    String t = text.replace("%%", "%");
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '%' || c == '(' || c == ')' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  /** A strftime format as a {@code DateTimeFormatter} pattern, other text quoted. */
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
    if (t.chars().allMatch(c -> " -:/.,".indexOf(c) >= 0)) {
      out.append(t);
    } else {
      out.append('\'').append(t.replace("'", "''")).append('\'');
    }
    text.setLength(0);
  }
}
