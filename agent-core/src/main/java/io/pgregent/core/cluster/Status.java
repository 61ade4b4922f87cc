package io.pgregent.core.cluster;

import java.util.List;
import java.util.Map;

/**
 * The {@code status} key written by the leader: its WAL position and the positions of the
 * replication slots it keeps ({@code optime/leader} in clusters that predate it).
 *
 * @param optime the leader's last known WAL LSN as an integer
 * @param slots slot name to confirmed/restart LSN
 * @param retainSlots member slots the leader keeps for absent members
 * @param version the store's version, 0 when read from the legacy key
 */
public record Status(long optime, Map<String, Long> slots, List<String> retainSlots, long version) {
  public Status {
    slots = Map.copyOf(slots);
    retainSlots = List.copyOf(retainSlots);
  }

  public static Status ofOptime(long optime) {
    return new Status(optime, Map.of(), List.of(), 0);
  }
}
