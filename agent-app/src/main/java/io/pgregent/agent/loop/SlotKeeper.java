package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.ha.Upstream;
import io.pgregent.postgres.PostgresController;
import io.pgregent.postgres.SlotNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The replication slots this member keeps for others, and the positions it publishes of them. */
final class SlotKeeper {

  private static final Logger log = LoggerFactory.getLogger(SlotKeeper.class);

  private final PostgresController postgres;
  private final ConfigInForce config;
  private final Map<String, Long> membersSeen = new HashMap<>();

  SlotKeeper(PostgresController postgres, ConfigInForce config) {
    this.postgres = postgres;
    this.config = config;
  }

  /** Members seen lately keep their replication slot, so that a restarted one can catch up. */
  void rememberMembers(ClusterView view, long nowNanos) {
    view.members().keySet().forEach(m -> membersSeen.put(m, nowNanos));
    long keep = Duration.ofSeconds(config.dynamic().memberSlotsTtl()).toNanos();
    membersSeen.values().removeIf(seen -> nowNanos - seen > keep);
  }

  /**
   * The leader keeps a slot for every member seen lately but those tagged {@code nostream} (they
   * never stream); the slot of a member streaming from another member follows the position it
   * reports.
   */
  void syncSlots(ClusterView view) {
    String self = config.local().name();
    try {
      Set<String> members = new HashSet<>(membersSeen.keySet());
      Map<String, Long> cascading = new HashMap<>();
      for (Member m : view.members().values()) {
        if (Upstream.tag(m, "nostream")) {
          members.remove(m.name());
        } else if (Upstream.replicatefrom(m)
            .filter(from -> !from.equals(self) && view.member(from).isPresent())
            .isPresent()) {
          cascading.put(m.name(), m.xlogLocation().orElse(0L));
        }
      }
      postgres.syncReplicationSlots(members, cascading);
    } catch (RuntimeException e) {
      log.warn("could not manage replication slots: {}", e.getMessage());
    }
  }

  /**
   * What the leader publishes in {@code status.slots}: the position of each of its slots and its
   * own, so that members keeping copies of them can follow (as Patroni's members read them).
   */
  Map<String, Long> slotPositions(long optime) {
    Map<String, Long> slots = new TreeMap<>();
    if (!config.dynamic().postgresql().useSlots()) {
      return slots;
    }
    try {
      slots.putAll(postgres.slotPositions());
    } catch (RuntimeException e) {
      log.debug("could not read the replication slots: {}", e.getMessage());
    }
    slots.put(SlotNames.forMember(config.local().name()), optime);
    return slots;
  }

  /** A replica keeps the slots of the members streaming from it (tag {@code replicatefrom}). */
  void syncCascadingSlots(ClusterView view) {
    String self = config.local().name();
    try {
      Set<String> members = new HashSet<>();
      String leader = view.leader().map(l -> l.name()).orElse(null);
      for (Member m : view.members().values()) {
        if (!m.name().equals(leader)
            && !Upstream.tag(m, "nostream")
            && Upstream.replicatefrom(m).map(self::equals).orElse(false)) {
          members.add(m.name());
        }
      }
      postgres.syncCascadingSlots(members);
    } catch (RuntimeException e) {
      log.warn("could not manage replication slots: {}", e.getMessage());
    }
  }
}
