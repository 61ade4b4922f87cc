package io.pgregent.core.slots;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One {@code ignore_slots} entry: a slot matches when every attribute the entry sets is equal;
 * unset attributes match anything.
 */
public record SlotMatcher(String name, String type, String database, String plugin) {

  public static SlotMatcher of(JsonNode entry) {
    return new SlotMatcher(
        text(entry, "name"), text(entry, "type"), text(entry, "database"), text(entry, "plugin"));
  }

  public static List<SlotMatcher> of(List<JsonNode> entries) {
    return entries.stream().map(SlotMatcher::of).toList();
  }

  public boolean matches(LocalSlot slot) {
    return (name == null || name.equals(slot.name()))
        && (type == null || type.equals(slot.logical() ? "logical" : "physical"))
        && (database == null || database.equals(slot.database()))
        && (plugin == null || plugin.equals(slot.plugin()));
  }

  public static boolean ignored(List<SlotMatcher> matchers, LocalSlot slot) {
    return matchers.stream().anyMatch(m -> m.matches(slot));
  }

  private static String text(JsonNode entry, String field) {
    JsonNode v = entry.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
