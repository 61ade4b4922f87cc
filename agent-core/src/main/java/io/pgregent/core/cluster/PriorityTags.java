package io.pgregent.core.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;

/**
 * Patroni's pairs of tags {@code nofailover}/{@code failover_priority} and {@code nosync}/{@code
 * sync_priority}: the boolean tag, when written, wins; without it a priority of 0 or less means
 * "never". The priority is 0 when the boolean tag is true, else as written (default 1). Pure.
 */
public final class PriorityTags {

  public static final String NOFAILOVER = "nofailover";
  public static final String FAILOVER_PRIORITY = "failover_priority";
  public static final String NOSYNC = "nosync";
  public static final String SYNC_PRIORITY = "sync_priority";

  private PriorityTags() {}

  /** Whether the boolean tag is in effect, given the two values as written (null: absent). */
  public static boolean excluded(Boolean flag, Long priority) {
    if (flag != null) {
      return flag;
    }
    return priority != null && priority <= 0;
  }

  /** The priority in effect, given the two values as written (null: absent or unreadable). */
  public static int priority(Boolean flag, Long priority) {
    if (Boolean.TRUE.equals(flag)) {
      return 0;
    }
    return priority == null
        ? 1
        : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, priority));
  }

  /** {@link #excluded(Boolean, Long)} for a member's published tags. */
  public static boolean excluded(Map<String, JsonNode> tags, String flag, String priority) {
    return excluded(flag(tags.get(flag)), number(tags.get(priority)));
  }

  /** {@link #priority(Boolean, Long)} for a member's published tags. */
  public static int priority(Map<String, JsonNode> tags, String flag, String priority) {
    return priority(flag(tags.get(flag)), number(tags.get(priority)));
  }

  /** {@link #excluded(Boolean, Long)} for the {@code tags} object of a status document. */
  public static boolean excluded(JsonNode tags, String flag, String priority) {
    return excluded(flag(tags.get(flag)), number(tags.get(priority)));
  }

  /** {@link #priority(Boolean, Long)} for the {@code tags} object of a status document. */
  public static int priority(JsonNode tags, String flag, String priority) {
    return priority(flag(tags.get(flag)), number(tags.get(priority)));
  }

  private static Boolean flag(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return null;
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isNumber()) {
      return v.asLong() != 0;
    }
    return switch (v.asText().strip().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1", "y" -> Boolean.TRUE;
      case "false", "no", "off", "0", "n", "" -> Boolean.FALSE;
      default -> Boolean.TRUE;
    };
  }

  private static Long number(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return null;
    }
    if (v.isIntegralNumber()) {
      return v.asLong();
    }
    try {
      return Long.parseLong(v.asText().strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
