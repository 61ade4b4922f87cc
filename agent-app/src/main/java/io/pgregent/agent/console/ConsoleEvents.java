package io.pgregent.agent.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The console's server-sent events: every subscriber gets the state document at once, then again
 * whenever it changes (checked once a second), and a comment line when nothing changed for a while
 * so that a dead connection is noticed. Nothing is rendered while no one listens.
 */
public final class ConsoleEvents implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConsoleEvents.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A subscription ends after this; the browser's EventSource reconnects by itself. */
  static final Duration SUBSCRIPTION = Duration.ofMinutes(10);

  /** How long the browser waits before reconnecting after a lost connection. */
  static final long RETRY_MILLIS = 1000;

  private final Supplier<ObjectNode> state;
  private final Duration heartbeat;
  private final List<SseEmitter> subscribers = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong();
  private final ScheduledFuture<?> ticks;
  private volatile String last;
  private volatile long lastSentNanos = System.nanoTime();

  /**
   * @param state renders the current document (called on the ticker's thread and on subscribe)
   * @param ticker runs the change check
   * @param period how often the document is checked for changes
   * @param heartbeat how long a quiet connection goes without a line
   */
  public ConsoleEvents(
      Supplier<ObjectNode> state,
      ScheduledExecutorService ticker,
      Duration period,
      Duration heartbeat) {
    this.state = state;
    this.heartbeat = heartbeat;
    this.ticks =
        ticker.scheduleWithFixedDelay(
            this::tick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A new subscriber, sent the current state at once. */
  public SseEmitter subscribe() {
    SseEmitter emitter = new SseEmitter(SUBSCRIPTION.toMillis());
    emitter.onCompletion(() -> subscribers.remove(emitter));
    emitter.onTimeout(() -> subscribers.remove(emitter));
    emitter.onError(e -> subscribers.remove(emitter));
    String doc = render();
    try {
      emitter.send(
          SseEmitter.event()
              .id(Long.toString(ids.incrementAndGet()))
              .name("state")
              .reconnectTime(RETRY_MILLIS)
              .data(doc, MediaType.APPLICATION_JSON));
      subscribers.add(emitter);
    } catch (IOException e) {
      emitter.completeWithError(e);
    }
    return emitter;
  }

  public int subscribers() {
    return subscribers.size();
  }

  /** Sends the state to every subscriber when it changed, else a heartbeat now and then. */
  void tick() {
    if (subscribers.isEmpty()) {
      return;
    }
    try {
      String doc = render();
      if (!doc.equals(last)) {
        last = doc;
        broadcast(
            SseEmitter.event()
                .id(Long.toString(ids.incrementAndGet()))
                .name("state")
                .data(doc, MediaType.APPLICATION_JSON));
      } else if (System.nanoTime() - lastSentNanos > heartbeat.toNanos()) {
        broadcast(SseEmitter.event().comment("still here"));
      }
    } catch (RuntimeException e) {
      // the ticker must survive a bad cycle, or the console would freeze silently
      log.warn("console: could not render the cluster state: {}", e.toString());
    }
  }

  private void broadcast(SseEmitter.SseEventBuilder event) {
    lastSentNanos = System.nanoTime();
    for (SseEmitter emitter : subscribers) {
      try {
        emitter.send(event);
      } catch (IOException | IllegalStateException e) {
        subscribers.remove(emitter);
        emitter.completeWithError(e);
      }
    }
  }

  private String render() {
    return write(state.get());
  }

  private static String write(ObjectNode doc) {
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    ticks.cancel(false);
    subscribers.forEach(SseEmitter::complete);
    subscribers.clear();
  }
}
