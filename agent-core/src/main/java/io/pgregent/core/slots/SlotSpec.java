package io.pgregent.core.slots;

import java.util.Objects;

/**
 * A replication slot a member should hold.
 *
 * @param name the slot name
 * @param logical whether it is a logical slot
 * @param database the database of a logical slot, else null
 * @param plugin the output plugin of a logical slot, else null
 * @param lsn the position the leader published for it (0 when unknown): a slot not in use here is
 *     advanced to it
 * @param expectedActive whether a consumer is expected to stream from this slot here (then it is
 *     never advanced); null when unknown
 */
public record SlotSpec(
    String name,
    boolean logical,
    String database,
    String plugin,
    long lsn,
    Boolean expectedActive) {

  public SlotSpec {
    Objects.requireNonNull(name, "name");
  }

  public static SlotSpec physical(String name, long lsn, Boolean expectedActive) {
    return new SlotSpec(name, false, null, null, lsn, expectedActive);
  }

  public static SlotSpec logical(String name, String database, String plugin, long lsn) {
    return new SlotSpec(name, true, database, plugin, lsn, null);
  }

  /**
   * Whether an existing slot is this one: same type, and for a logical slot same database and
   * plugin.
   */
  public boolean matches(LocalSlot slot) {
    if (slot.logical() != logical) {
      return false;
    }
    return !logical
        || Objects.equals(database, slot.database()) && Objects.equals(plugin, slot.plugin());
  }
}
