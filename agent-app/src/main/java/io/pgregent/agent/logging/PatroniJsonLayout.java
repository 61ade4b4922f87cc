package io.pgregent.agent.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import io.pgregent.agent.config.LogSettings;
import io.pgregent.agent.config.LogSettings.JsonField;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per line, as Patroni's {@code log.type: json}: the configured LogRecord fields
 * under their keys, then {@code static_fields}, then {@code exc_info} when there is a stack trace
 * to print. Written as Python's {@code json.dumps} does ({@code ", "} and {@code ": "} between
 * items, non-ASCII characters escaped).
 */
final class PatroniJsonLayout extends LayoutBase<ILoggingEvent> {

  private final List<JsonField> fields;
  private final Map<String, Object> staticFields;
  private final DateTimeFormatter dateFormat;
  private final ThrowableProxyConverter traceback = new ThrowableProxyConverter();

  PatroniJsonLayout(LogSettings settings) {
    this.fields = settings.jsonFields();
    this.staticFields = settings.staticFields();
    this.dateFormat =
        DateTimeFormatter.ofPattern(settings.dateFormat()).withZone(ZoneId.systemDefault());
  }

  @Override
  public void start() {
    traceback.setContext(getContext());
    traceback.start();
    super.start();
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    Map<String, Object> record = new LinkedHashMap<>();
    for (JsonField f : fields) {
      record.put(f.key(), field(f.field(), event));
    }
    record.putAll(staticFields);
    if (PythonConverters.showsTraceback(getContext(), event) && record.get("exc_info") == null) {
      record.put("exc_info", traceback.convert(event).stripTrailing());
    }
    StringBuilder out = new StringBuilder(256);
    Json.write(out, record);
    return out.append('\n').toString();
  }

  private Object field(String name, ILoggingEvent event) {
    StackTraceElement caller =
        event.getCallerData() != null && event.getCallerData().length > 0
            ? event.getCallerData()[0]
            : null;
    long millis = event.getTimeStamp();
    return switch (name) {
      case "asctime" -> dateFormat.format(Instant.ofEpochMilli(millis));
      case "message" -> PythonConverters.message(getContext(), event);
      case "levelname" -> PythonConverters.levelName(event);
      case "levelno" -> PythonConverters.levelNo(event);
      case "name" -> event.getLoggerName();
      case "process" -> PythonConverters.pid();
      case "processName" -> "MainProcess";
      case "thread", "threadName" -> event.getThreadName();
      case "created" -> BigDecimal.valueOf(millis).movePointLeft(3);
      case "msecs" -> BigDecimal.valueOf(millis % 1000).setScale(1);
      case "relativeCreated" ->
          BigDecimal.valueOf(millis - getContext().getBirthTime()).setScale(1);
      case "funcName" -> caller == null ? null : caller.getMethodName();
      case "lineno" -> caller == null ? null : caller.getLineNumber();
      case "filename" -> caller == null ? null : caller.getFileName();
      case "module" -> caller == null ? null : simpleName(caller.getClassName());
      case "pathname" -> caller == null ? null : caller.getClassName();
      case "exc_info" ->
          PythonConverters.showsTraceback(getContext(), event)
              ? traceback.convert(event).stripTrailing()
              : null;
      default -> null;
    };
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** Python's {@code json.dumps} with its default separators and {@code ensure_ascii}. */
  static final class Json {

    private Json() {}

    static void write(StringBuilder out, Object value) {
      if (value == null) {
        out.append("null");
      } else if (value instanceof String s) {
        string(out, s);
      } else if (value instanceof Boolean b) {
        out.append(b ? "true" : "false");
      } else if (value instanceof BigDecimal d) {
        out.append(d.toPlainString());
      } else if (value instanceof Double d) {
        out.append(d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "Infinity" : "-Infinity") : d);
      } else if (value instanceof Number n) {
        out.append(n);
      } else if (value instanceof Map<?, ?> m) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          out.append(first ? "" : ", ");
          first = false;
          string(out, String.valueOf(e.getKey()));
          out.append(": ");
          write(out, e.getValue());
        }
        out.append('}');
      } else if (value instanceof List<?> l) {
        out.append('[');
        for (int i = 0; i < l.size(); i++) {
          out.append(i == 0 ? "" : ", ");
          write(out, l.get(i));
        }
        out.append(']');
      } else {
        string(out, String.valueOf(value));
      }
    }

    private static void string(StringBuilder out, String s) {
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          case '\b' -> out.append("\\b");
          case '\f' -> out.append("\\f");
          default -> {
            if (c < 0x20 || c > 0x7f) {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
          }
        }
      }
      out.append('"');
    }
  }
}
