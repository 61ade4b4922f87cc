package io.pgregent.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.Context;

/** Logback conversion words for the fields of Python's logging that Logback names otherwise. */
final class PythonConverters {

  /** Context property set when {@code log.traceback_level} is DEBUG. */
  static final String TRACEBACK_AT_DEBUG_ONLY = "regent.log.tracebackAtDebugOnly";

  private static final long PID = ProcessHandle.current().pid();

  private PythonConverters() {}

  /** Python's level name: {@code WARNING}, not {@code WARN}; {@code CRITICAL} when so marked. */
  static String levelName(ILoggingEvent event) {
    if (Critical.marks(event)) {
      return "CRITICAL";
    }
    Level level = event.getLevel();
    return level == Level.WARN ? "WARNING" : level.toString();
  }

  /** Python's level number. */
  static int levelNo(ILoggingEvent event) {
    if (Critical.marks(event)) {
      return 50;
    }
    return switch (event.getLevel().toInt()) {
      case Level.ERROR_INT -> 40;
      case Level.WARN_INT -> 30;
      case Level.INFO_INT -> 20;
      case Level.DEBUG_INT -> 10;
      default -> 5;
    };
  }

  static long pid() {
    return PID;
  }

  /**
   * Whether the event's stack trace is printed: always, or with {@code traceback_level: DEBUG} only
   * when its logger is enabled for DEBUG (as Patroni's tracebacks).
   */
  static boolean showsTraceback(Context context, ILoggingEvent event) {
    if (event.getThrowableProxy() == null) {
      return false;
    }
    if (!(context instanceof LoggerContext ctx)
        || context.getProperty(TRACEBACK_AT_DEBUG_ONLY) == null) {
      return true;
    }
    return ctx.getLogger(event.getLoggerName()).isDebugEnabled();
  }

  /** The message, with {@code , DETAIL: '<error>'} when its stack trace is not printed. */
  static String message(Context context, ILoggingEvent event) {
    IThrowableProxy t = event.getThrowableProxy();
    if (t == null || showsTraceback(context, event)) {
      return event.getFormattedMessage();
    }
    String detail = t.getMessage() == null ? t.getClassName() : t.getMessage();
    return event.getFormattedMessage() + ", DETAIL: '" + detail + "'";
  }

  /** {@code %(levelname)s}. */
  public static final class LevelName extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return levelName(event);
    }
  }

  /** {@code %(levelno)s}. */
  public static final class LevelNo extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return Integer.toString(levelNo(event));
    }
  }

  /** {@code %(process)d}. */
  public static final class ProcessId extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return Long.toString(PID);
    }
  }

  /** {@code %(message)s}. */
  public static final class Message extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return message(getContext(), event);
    }
  }

  /** The stack trace after the line, unless {@code traceback_level} hides it. */
  public static final class Traceback extends ThrowableProxyConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return showsTraceback(getContext(), event) ? super.convert(event) : "";
    }
  }
}
