package io.pgregent.agent.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.spi.ContextAware;
import ch.qos.logback.core.spi.LifeCycle;
import ch.qos.logback.core.status.Status;
import io.pgregent.agent.config.LogSettings;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The agent's logging, from Patroni's {@code log:} section: lines in Patroni's shape ({@code
 * 2024-05-01 12:00:00,123 INFO: message} by default) on standard error, or in a rotating {@code
 * patroni.log} in {@code log.dir}. The agent configures Logback itself, before Spring starts (which
 * is told to leave logging alone), so that every line, the first ones included, has that shape.
 */
public final class PatroniLogging {

  /** The system property that keeps Spring Boot from configuring logging. */
  public static final String SPRING_LOGGING_SYSTEM =
      "org.springframework.boot.logging.LoggingSystem";

  /**
   * Logger levels Spring Boot sets by default, to keep the same start-up noise out; and jetcd's own
   * retry lines: a failed store call is logged once, with endpoint and cause, by the store.
   */
  private static final Map<String, Level> QUIET =
      Map.of(
          "org.apache.catalina.startup.DigesterFactory", Level.ERROR,
          "org.apache.catalina.util.LifecycleBase", Level.ERROR,
          "org.apache.coyote.http11.Http11NioProtocol", Level.WARN,
          "org.apache.tomcat.util.net.NioSelectorPool", Level.WARN,
          "io.etcd.jetcd.impl", Level.ERROR);

  private PatroniLogging() {}

  /**
   * Configures the process's logging (and routes {@code java.util.logging} into it).
   *
   * @throws IllegalStateException with a one-line message naming the key when it cannot be set up
   *     (e.g. {@code log.dir} is not writable)
   */
  public static void apply(LogSettings settings) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    System.setProperty(SPRING_LOGGING_SYSTEM, "none");
    configure(ctx, settings, null);
    LevelChangePropagator jul = new LevelChangePropagator();
    jul.setContext(ctx);
    jul.setResetJUL(true);
    jul.start();
    ctx.addListener(jul);
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Configures {@code ctx} from {@code settings}; plain or JSON lines go to {@code console}
   * (standard error when null) unless {@code log.dir} is set.
   */
  static void configure(LoggerContext ctx, LogSettings settings, OutputStream console) {
    ctx.reset();
    ctx.getStatusManager().clear();
    if (settings.tracebackAtDebugOnly()) {
      ctx.putProperty(PythonConverters.TRACEBACK_AT_DEBUG_ONLY, "true");
    }
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setCharset(StandardCharsets.UTF_8);
    Layout<ILoggingEvent> layout;
    try {
      layout = layout(ctx, settings);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("log.dateformat: " + e.getMessage(), e);
    }
    start(ctx, layout);
    encoder.setLayout(layout);
    start(ctx, encoder);

    Appender<ILoggingEvent> appender;
    String key;
    if (settings.dir() == null) {
      appender = console(console);
      key = "log";
    } else {
      appender = file(ctx, settings, encoder);
      key = "log.dir";
    }
    appender.setName(key);
    if (appender instanceof OutputStreamAppender<ILoggingEvent> out) {
      out.setEncoder(encoder);
    }
    start(ctx, appender);
    String problem = firstError(ctx);
    if (problem != null) {
      throw new IllegalStateException(key + ": " + problem);
    }

    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    root.setLevel(Level.toLevel(settings.level(), Level.INFO));
    QUIET.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
    setLevels(ctx, root, settings.loggers());
  }

  /**
   * Puts the levels of a reloaded {@code log:} section in force ({@code level}, {@code loggers});
   * loggers no longer named inherit again.
   */
  public static void applyLevels(LogSettings old, LogSettings fresh) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (!old.level().equals(fresh.level())) {
      root.setLevel(Level.toLevel(fresh.level(), Level.INFO));
    }
    old.loggers().keySet().stream()
        .filter(name -> !fresh.loggers().containsKey(name))
        .forEach(name -> ctx.getLogger(name).setLevel(QUIET.get(name)));
    setLevels(ctx, root, fresh.loggers());
  }

  /** {@code log.loggers}: each named logger's level; NOTSET inherits (the root keeps a level). */
  private static void setLevels(LoggerContext ctx, Logger root, Map<String, String> loggers) {
    loggers.forEach(
        (name, level) -> {
          Logger logger = ctx.getLogger(name);
          logger.setLevel(
              level == null ? (logger == root ? Level.INFO : null) : Level.toLevel(level));
        });
  }

  private static Layout<ILoggingEvent> layout(LoggerContext ctx, LogSettings settings) {
    if (settings.json()) {
      PatroniJsonLayout json = new PatroniJsonLayout(settings);
      json.setContext(ctx);
      return json;
    }
    PatternLayout layout = new PatternLayout();
    layout.setContext(ctx);
    layout.getInstanceConverterMap().put(LogSettings.LEVEL_NAME, PythonConverters.LevelName::new);
    layout.getInstanceConverterMap().put(LogSettings.LEVEL_NO, PythonConverters.LevelNo::new);
    layout.getInstanceConverterMap().put(LogSettings.PROCESS, PythonConverters.ProcessId::new);
    layout.getInstanceConverterMap().put(LogSettings.MESSAGE, PythonConverters.Message::new);
    layout.getInstanceConverterMap().put(LogSettings.TRACEBACK, PythonConverters.Traceback::new);
    layout.setPattern(settings.pattern());
    return layout;
  }

  private static Appender<ILoggingEvent> console(OutputStream out) {
    if (out == null) {
      ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
      // Patroni writes to standard error.
      console.setTarget("System.err");
      return console;
    }
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setOutputStream(out);
    return appender;
  }

  private static Appender<ILoggingEvent> file(
      LoggerContext ctx, LogSettings settings, LayoutWrappingEncoder<ILoggingEvent> encoder) {
    String file = settings.dir().resolve(LogSettings.FILE_NAME).toString();
    if (!settings.rotates()) {
      LogFiles.PlainFile plain = new LogFiles.PlainFile(settings.mode());
      plain.setFile(file);
      plain.setAppend(true);
      return plain;
    }
    RollingFileAppender<ILoggingEvent> rolling = new LogFiles.RotatingFile(settings.mode());
    rolling.setContext(ctx);
    rolling.setFile(file);
    rolling.setAppend(true);
    LogFiles.Window window = new LogFiles.Window();
    window.setFileNamePattern(file + ".%i");
    window.setMinIndex(1);
    window.setMaxIndex(settings.fileNum());
    window.setParent(rolling);
    start(ctx, window);
    LogFiles.SizeLimit limit = new LogFiles.SizeLimit(settings.fileSize(), encoder);
    start(ctx, limit);
    rolling.setRollingPolicy(window);
    rolling.setTriggeringPolicy(limit);
    return rolling;
  }

  private static void start(LoggerContext ctx, Object component) {
    if (component instanceof ContextAware aware) {
      aware.setContext(ctx);
    }
    if (component instanceof LifeCycle life) {
      life.start();
    }
  }

  private static String firstError(LoggerContext ctx) {
    for (Status s : ctx.getStatusManager().getCopyOfStatusList()) {
      if (s.getLevel() >= Status.ERROR) {
        Throwable t = s.getThrowable();
        while (t != null && t.getCause() != null) {
          t = t.getCause();
        }
        return s.getMessage() + (t == null ? "" : " (" + t.getMessage() + ")");
      }
    }
    return null;
  }
}
