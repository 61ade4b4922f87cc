package io.pgregent.agent.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Python's {@code CRITICAL} level, which Logback lacks: an ERROR event with this marker is printed
 * as {@code CRITICAL} (level number 50), as Patroni prints the errors that stop it from starting.
 */
public final class Critical {

  /** Put on an ERROR event: {@code log.error(Critical.MARKER, "...")}. */
  public static final Marker MARKER = MarkerFactory.getMarker("CRITICAL");

  private Critical() {}

  static boolean marks(ILoggingEvent event) {
    var markers = event.getMarkerList();
    if (markers == null) {
      return false;
    }
    for (Marker m : markers) {
      if (m.contains(MARKER)) {
        return true;
      }
    }
    return false;
  }
}
