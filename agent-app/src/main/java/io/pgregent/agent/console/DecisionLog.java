package io.pgregent.agent.console;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.pgregent.core.dcs.ClusterCodec;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The loop's recent log lines (its decisions and what it did about them), for the console. The loop
 * logs its decision every cycle: a line repeating the one before it only counts up, so the buffer
 * keeps what changed rather than the last minute of "no action".
 */
@Component
public class DecisionLog implements AutoCloseable {

  /** The loggers whose lines are the loop's decisions and actions. */
  static final List<String> SOURCES =
      List.of(
          "io.pgregent.agent.loop",
          "io.pgregent.agent.rest.ActionsController",
          "io.pgregent.agent.rest.SwitchoverController");

  static final int CAPACITY = 100;

  /** One line, or a run of identical lines. */
  public record Entry(long firstMillis, long lastMillis, String level, String message, int count) {}

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final Capture appender = new Capture();
  private volatile boolean closed;

  public DecisionLog() {
    appender.setName("regent-console");
    attach();
  }

  /** The lines, oldest first. */
  public synchronized List<Entry> entries() {
    attach();
    return List.copyOf(entries);
  }

  /** As JSON: {@code [{"at": ms, "last": ms, "level": ..., "message": ..., "count": n}, ...]}. */
  public ArrayNode json() {
    ArrayNode out = ClusterCodec.nodes().arrayNode();
    for (Entry e : entries()) {
      out.addObject()
          .put("at", e.firstMillis())
          .put("last", e.lastMillis())
          .put("level", e.level())
          .put("message", e.message())
          .put("count", e.count());
    }
    return out;
  }

  /** Records a line (what the appender does with each event). */
  synchronized void record(long millis, String level, String message) {
    Entry last = entries.peekLast();
    if (last != null && last.message().equals(message) && last.level().equals(level)) {
      entries.removeLast();
      entries.addLast(new Entry(last.firstMillis(), millis, level, message, last.count() + 1));
      return;
    }
    if (entries.size() == CAPACITY) {
      entries.removeFirst();
    }
    entries.addLast(new Entry(millis, millis, level, message, 1));
  }

  /** The launcher may set logging up again (a reload resets it): attach again when it did. */
  private void attach() {
    if (closed) {
      return;
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx)) {
      return;
    }
    if (!appender.isStarted() || appender.getContext() != ctx) {
      appender.setContext(ctx);
      appender.start();
    }
    for (String name : SOURCES) {
      Logger logger = ctx.getLogger(name);
      if (!logger.isAttached(appender)) {
        logger.addAppender(appender);
      }
    }
  }

  /** Stops capturing (several agents may run in one JVM in tests, one after the other). */
  @Override
  public void close() {
    closed = true;
    if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
      for (String name : SOURCES) {
        ctx.getLogger(name).detachAppender(appender);
      }
    }
    appender.stop();
  }

  private final class Capture extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getLevel().isGreaterOrEqual(Level.INFO)) {
        record(event.getTimeStamp(), event.getLevel().toString(), event.getFormattedMessage());
      }
    }
  }
}
