package io.pgregent.postgres;

import io.pgregent.core.slots.LocalSlot;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The slots of the server {@link PostgresController} drives, over JDBC. */
final class ServerSlots implements ReplicationSlots {

  private final SlotManager manager;
  private final SlotOperations operations;

  ServerSlots(SlotManager manager, SlotOperations operations) {
    this.manager = manager;
    this.operations = operations;
  }

  @Override
  public Set<String> syncReplicationSlots(Set<String> members) {
    return syncReplicationSlots(members, Map.of());
  }

  @Override
  public Set<String> syncReplicationSlots(Set<String> members, Map<String, Long> cascading) {
    return manager.syncReplicationSlots(members, cascading);
  }

  @Override
  public Map<String, Long> slotPositions() {
    return manager.slotPositions();
  }

  @Override
  public void syncCascadingSlots(Set<String> members) {
    manager.syncCascadingSlots(members);
  }

  @Override
  public List<LocalSlot> replicationSlots() {
    return operations.list();
  }

  @Override
  public boolean dropReplicationSlot(String name) {
    return operations.drop(name);
  }

  @Override
  public void createPhysicalSlot(String name) {
    operations.createPhysical(name);
  }

  @Override
  public void createLogicalSlot(String name, String database, String plugin) {
    operations.createLogical(name, database, plugin);
  }

  @Override
  public void advancePhysicalSlot(String name, long lsn) {
    operations.advancePhysical(name, lsn);
  }

  @Override
  public boolean advanceLogicalSlot(String name, String database, long lsn) {
    return operations.advanceLogical(name, database, lsn);
  }

  @Override
  public long replayLsn() {
    return operations.replayLsn();
  }

  @Override
  public List<String> copyLogicalSlots(
      LeaderConnection leader, Map<String, List<String>> expected) {
    return operations.copyFromPrimary(leader, expected);
  }

  @Override
  public List<String> physicalSlots() {
    return manager.physicalSlots();
  }
}
