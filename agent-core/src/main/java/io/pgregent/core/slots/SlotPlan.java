package io.pgregent.core.slots;

import java.util.List;

/**
 * What to change in the local replication slots, in order: drops first, then creations and
 * advances.
 *
 * @param drop slots to drop, each with the reason logged
 * @param createPhysical physical slots to create (reserving WAL at once)
 * @param createLogical logical slots to create (on a primary only)
 * @param advancePhysical physical slots to move forward, to {@link SlotSpec#lsn()}
 * @param advanceLogical logical slots to move forward, to {@link SlotSpec#lsn()} (already capped at
 *     what this replica replayed)
 * @param copyLogical logical slots a replica lacks and must copy from the primary
 */
public record SlotPlan(
    List<Drop> drop,
    List<SlotSpec> createPhysical,
    List<SlotSpec> createLogical,
    List<SlotSpec> advancePhysical,
    List<SlotSpec> advanceLogical,
    List<SlotSpec> copyLogical) {

  public SlotPlan {
    drop = List.copyOf(drop);
    createPhysical = List.copyOf(createPhysical);
    createLogical = List.copyOf(createLogical);
    advancePhysical = List.copyOf(advancePhysical);
    advanceLogical = List.copyOf(advanceLogical);
    copyLogical = List.copyOf(copyLogical);
  }

  /** A slot to drop and why (Patroni's log wording). */
  public record Drop(String name, String reason) {}

  public boolean isEmpty() {
    return drop.isEmpty()
        && createPhysical.isEmpty()
        && createLogical.isEmpty()
        && advancePhysical.isEmpty()
        && advanceLogical.isEmpty()
        && copyLogical.isEmpty();
  }
}
