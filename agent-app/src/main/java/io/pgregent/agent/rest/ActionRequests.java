package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the unsafe actions' request bodies share: schedules, versions, durations, text fields. */
final class ActionRequests {

  private static final Pattern SECONDS = Pattern.compile("^\\s*(\\d{1,9})\\s*(s|min|h|d)?\\s*$");

  private ActionRequests() {}

  /** A parsed schedule, or the status and message that refuse it. */
  record Schedule(int status, String error, OffsetDateTime at) {}

  /** Patroni's {@code parse_schedule}: ISO 8601 with a time zone, in the future. */
  static Schedule parseSchedule(String text, String action) {
    OffsetDateTime at;
    try {
      at = OffsetDateTime.parse(text.trim().replace(' ', 'T'));
    } catch (DateTimeParseException e) {
      try {
        LocalDateTime.parse(text.trim().replace(' ', 'T'));
        return new Schedule(
            400, "Timezone information is mandatory for the scheduled " + action, null);
      } catch (DateTimeParseException e2) {
        return new Schedule(
            422,
            "Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO"
                + " 8601",
            null);
      }
    }
    if (at.isBefore(OffsetDateTime.now())) {
      return new Schedule(422, "Cannot schedule " + action + " in the past", null);
    }
    return new Schedule(0, null, at);
  }

  /** {@code 15.2} → 150002, {@code 9.6.24} → 90624; empty when not a version. */
  static OptionalInt postgresVersion(String text) {
    if (!text.matches("\\d{1,3}(\\.\\d{1,3}){1,2}")) {
      return OptionalInt.empty();
    }
    return ServerVersion.parse(text);
  }

  /** {@code 30}, {@code 30s}, {@code 5min}, {@code 2h}, {@code 1d} in seconds. */
  static OptionalLong seconds(String text) {
    Matcher m = SECONDS.matcher(text);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    long factor =
        switch (unit) {
          case "min" -> 60;
          case "h" -> 3600;
          case "d" -> 86400;
          default -> 1;
        };
    return OptionalLong.of(n * factor);
  }

  /** A text field, null when absent, null or empty. */
  static String text(ObjectNode request, String field) {
    JsonNode n = request.get(field);
    return n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
  }

  static boolean pausedIn(ClusterView view) {
    return view.config().map(c -> c.settings().pause()).orElse(false);
  }

  static String syncMode(ClusterView view) {
    // A standby cluster ignores synchronous_mode, as Patroni does: its leader takes no writes.
    return view.config()
        .filter(c -> !c.settings().isStandbyCluster())
        .map(c -> c.settings().synchronousMode().name().toLowerCase(Locale.ROOT))
        .orElse("off");
  }
}
