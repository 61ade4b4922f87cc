package io.pgregent.core.slots;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.ha.Upstream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Which replication slots a member holds, and what to change to get there (Patroni 4.1's rules).
 * Pure: no IO, no clock.
 *
 * <p>Every member that may become primary keeps a physical slot for each of its peers, advanced to
 * the positions the leader publishes in {@code status.slots}, so that after a failover every
 * replica finds its WAL still there; slots of members gone from the store stay while the leader
 * lists them in {@code retain_slots}. Permanent slots ({@code slots}) live on the primary and, for
 * members that may be promoted, on replicas too (logical ones copied from the primary and then
 * advanced). Every other slot is dropped unless an {@code ignore_slots} entry matches it.
 */
public final class SlotPolicy {

  private static final Pattern VALID_NAME = Pattern.compile("^[a-z0-9_]{1,63}$");

  private SlotPolicy() {}

  /**
   * What a member is, for its slots.
   *
   * @param view the cluster as read this cycle
   * @param self this member's name
   * @param leader whether this member runs as the primary (or standby leader)
   * @param nofailover whether this member may never be promoted
   * @param nostream whether this member does not stream (tag {@code nostream})
   * @param useSlots {@code postgresql.use_slots}
   * @param memberSlotsTtl {@code member_slots_ttl} in seconds
   * @param permanent the permanent slots by name ({@code slots})
   * @param standbyCluster whether the cluster is a standby cluster (physical permanent slots only)
   * @param published the positions the leader published ({@code status.slots}, or the leader's
   *     failsafe heartbeat while the store is down)
   * @param retainSlots slots of absent members the leader keeps ({@code status.retain_slots})
   * @param slotName the member-name-to-slot-name rule
   */
  public record Node(
      ClusterView view,
      String self,
      boolean leader,
      boolean nofailover,
      boolean nostream,
      boolean useSlots,
      int memberSlotsTtl,
      Map<String, JsonNode> permanent,
      boolean standbyCluster,
      Map<String, Long> published,
      List<String> retainSlots,
      UnaryOperator<String> slotName) {}

  /** Whether {@code m} does not stream, or its upstream chain passes a member that does not. */
  static boolean behindNostream(Node m) {
    if (m.nostream()) {
      return true;
    }
    Set<String> seen = new HashSet<>();
    Optional<String> up =
        Optional.ofNullable(m.view().members().get(m.self())).flatMap(Upstream::replicatefrom);
    while (up.isPresent() && seen.add(up.get())) {
      Member u = m.view().members().get(up.get());
      if (u == null) {
        return false;
      }
      if (Upstream.tag(u, "nostream")) {
        return true;
      }
      up = Upstream.replicatefrom(u);
    }
    return false;
  }

  /** The slots {@code m} should hold, by name. */
  public static Map<String, SlotSpec> desired(Node m) {
    Map<String, SlotSpec> out = new LinkedHashMap<>();
    if (!m.useSlots()) {
      return out;
    }
    ClusterView view = m.view();
    String selfSlot = m.slotName().apply(m.self());
    String leaderName = view.leader().map(l -> l.name()).orElse(null);
    List<Member> peers = new ArrayList<>();
    for (Member p : view.members().values()) {
      if (!p.name().equals(m.self()) && !Upstream.tag(p, "nostream")) {
        peers.add(p);
      }
    }
    for (Member p : peers) {
      boolean expectedActive = expectedActive(m, p, leaderName);
      boolean keep =
          m.memberSlotsTtl() > 0
              ? !m.nofailover() || Upstream.replicatefrom(p).map(m.self()::equals).orElse(false)
              : expectedActive;
      if (!keep) {
        continue;
      }
      String slot = m.slotName().apply(p.name());
      long lsn = m.published().getOrDefault(slot, 0L);
      if (Upstream.replicatefrom(p).isPresent()) {
        // Its slot on the leader is idle: the member's own report is the better position.
        lsn = Math.max(lsn, p.xlogLocation().orElse(0L));
      }
      out.putIfAbsent(slot, SlotSpec.physical(slot, lsn, expectedActive));
    }
    if (!m.nofailover()) {
      for (String slot : m.retainSlots()) {
        if (!slot.equals(selfSlot)) {
          out.putIfAbsent(slot, SlotSpec.physical(slot, 0, null));
        }
      }
    }
    if (m.nofailover()) {
      return out;
    }
    // A member that does not stream, or gets its WAL through one that does not, sends no feedback
    // to the primary: logical copies would be unsafe.
    boolean physicalOnly = m.standbyCluster() || !m.leader() && behindNostream(m);
    Map<String, String> topology = new TreeMap<>();
    for (Member p : view.members().values()) {
      Upstream.replicatefrom(p).ifPresent(f -> topology.put(m.slotName().apply(p.name()), f));
    }
    m.permanent()
        .forEach(
            (name, value) -> {
              if (!VALID_NAME.matcher(name).matches()) {
                return;
              }
              if (isLogical(value)) {
                if (physicalOnly || out.containsKey(name)) {
                  return;
                }
                long lsn = m.published().getOrDefault(name, 0L);
                out.put(
                    name,
                    SlotSpec.logical(
                        name, value.get("database").asText(), value.get("plugin").asText(), lsn));
              } else if (!out.containsKey(name) && !name.equals(selfSlot)) {
                long lsn = m.published().getOrDefault(name, 0L);
                for (Member p : view.members().values()) {
                  if (m.slotName().apply(p.name()).equals(name)
                      && Upstream.replicatefrom(p).isPresent()) {
                    lsn = Math.max(lsn, p.xlogLocation().orElse(0L));
                  }
                }
                out.put(
                    name, SlotSpec.physical(name, lsn, !topology.containsKey(name) && m.leader()));
              }
            });
    return out;
  }

  /**
   * Whether a peer streams from this member: as leader, every peer not streaming from another
   * present member; as replica, the peers that name it in {@code replicatefrom}.
   */
  private static boolean expectedActive(Node m, Member p, String leaderName) {
    Optional<String> from = Upstream.replicatefrom(p);
    if (m.leader()) {
      return from.isEmpty() || from.get().equals(m.self()) || m.view().member(from.get()).isEmpty();
    }
    return from.map(m.self()::equals).orElse(false) && !p.name().equals(leaderName);
  }

  /** A permanent slot entry is logical when its type says so (or is unset) and it names both. */
  public static boolean isLogical(JsonNode value) {
    return value != null
        && value.isObject()
        && value.path("type").asText("logical").equals("logical")
        && !value.path("database").asText("").isEmpty()
        && !value.path("plugin").asText("").isEmpty();
  }

  /**
   * The changes that take the local slots to {@code desired}.
   *
   * @param desired what {@link #desired} returned
   * @param existing the slots on this server
   * @param ignore the {@code ignore_slots} matchers
   * @param primary whether this server is a running primary (not in recovery)
   * @param paused whether the cluster is paused (unknown slots are then left alone)
   * @param cleanXmin whether idle physical slots holding an {@code xmin} are dropped (recreated
   *     next cycle): only while the cluster has a leader, and on a replica or a running primary
   * @param replayLsn how far this server has replayed (logical slots are not advanced past it)
   */
  public static SlotPlan plan(
      Map<String, SlotSpec> desired,
      List<LocalSlot> existing,
      List<SlotMatcher> ignore,
      boolean primary,
      boolean paused,
      boolean cleanXmin,
      long replayLsn) {
    List<SlotPlan.Drop> drop = new ArrayList<>();
    List<SlotSpec> createPhysical = new ArrayList<>();
    List<SlotSpec> createLogical = new ArrayList<>();
    List<SlotSpec> advancePhysical = new ArrayList<>();
    List<SlotSpec> advanceLogical = new ArrayList<>();
    List<SlotSpec> copyLogical = new ArrayList<>();
    Map<String, LocalSlot> present = new LinkedHashMap<>();
    for (LocalSlot e : existing) {
      if (e.serverSynced()) {
        continue; // PostgreSQL 17 keeps it (failover slot): neither dropped, advanced nor copied
      }
      SlotSpec spec = desired.get(e.name());
      if (spec != null && spec.matches(e) && !e.lost()) {
        present.put(e.name(), e);
        continue;
      }
      if (paused || SlotMatcher.ignored(ignore, e)) {
        present.put(e.name(), e);
        continue;
      }
      String reason =
          spec == null
              ? "unknown replication slot"
              : e.lost()
                  ? "replication slot with wal_status=lost"
                  : "replication slot whose type, database or plugin changed";
      drop.add(new SlotPlan.Drop(e.name(), reason));
    }
    for (SlotSpec spec : desired.values()) {
      LocalSlot e = present.get(spec.name());
      if (existing.stream().anyMatch(x -> x.serverSynced() && x.name().equals(spec.name()))) {
        continue;
      }
      if (!spec.logical()) {
        if (e == null) {
          createPhysical.add(spec);
        } else if (e.logical()) {
          continue; // an ignored slot of the other type holds the name
        } else if (cleanXmin && Boolean.FALSE.equals(spec.expectedActive()) && e.hasXmin()) {
          drop.add(new SlotPlan.Drop(e.name(), "physical replication slot holding an xmin"));
        } else if (!Boolean.TRUE.equals(spec.expectedActive()) && !e.hasXmin()) {
          if (e.restartLsn() == 0) {
            drop.add(new SlotPlan.Drop(e.name(), "physical replication slot without restart_lsn"));
          } else if (spec.lsn() > e.restartLsn()) {
            advancePhysical.add(spec);
          }
        }
      } else if (primary) {
        if (e == null) {
          createLogical.add(spec);
        }
      } else if (e != null) {
        long target = Math.min(spec.lsn(), replayLsn);
        if (spec.lsn() > 0 && e.confirmedFlushLsn() < target) {
          advanceLogical.add(
              new SlotSpec(spec.name(), true, spec.database(), spec.plugin(), target, null));
        }
      } else if (spec.lsn() > 0) {
        copyLogical.add(spec);
      }
    }
    return new SlotPlan(
        drop, createPhysical, createLogical, advancePhysical, advanceLogical, copyLogical);
  }

  /**
   * The leader's record of member slots to retain: each member slot it holds (and its own) is seen
   * now; entries not seen for {@code memberSlotsTtl} seconds expire.
   *
   * @param lastSeen slot name to when it was last seen (monotonic nanos)
   * @param leaderSlots the slots the leader holds, its own included
   */
  public static Map<String, Long> retain(
      Map<String, Long> lastSeen,
      Set<String> leaderSlots,
      ClusterView view,
      String self,
      Set<String> permanentPhysical,
      UnaryOperator<String> slotName,
      int memberSlotsTtl,
      long nowNanos) {
    Map<String, Long> out = new TreeMap<>(lastSeen);
    if (!leaderSlots.isEmpty()) {
      Set<String> members = new HashSet<>();
      for (Member p : view.members().values()) {
        if (!Upstream.tag(p, "nostream")) {
          members.add(slotName.apply(p.name()));
        }
      }
      if (view.member(self).isEmpty()) {
        members.add(slotName.apply(self));
      }
      for (String s : leaderSlots) {
        if (members.contains(s) && !permanentPhysical.contains(s)) {
          out.put(s, nowNanos);
        }
      }
    }
    long keep = memberSlotsTtl * 1_000_000_000L;
    out.values().removeIf(seen -> nowNanos - seen >= keep);
    return out;
  }

  /**
   * What the leader publishes in {@code status.slots}: the position of every slot it manages, and
   * its own slot at its WAL position (so that the member taking over keeps WAL for it).
   */
  public static Map<String, Long> published(
      Map<String, SlotSpec> desired, List<LocalSlot> existing, String selfSlot, long optime) {
    Map<String, Long> out = new TreeMap<>();
    for (LocalSlot e : existing) {
      SlotSpec spec = desired.get(e.name());
      if (spec != null && spec.matches(e) && e.position() > 0) {
        out.put(e.name(), e.position());
      }
    }
    out.put(selfSlot, optime);
    return out;
  }

  /** The permanent physical slot names of a {@code slots} map. */
  public static Set<String> permanentPhysical(Map<String, JsonNode> permanent) {
    Set<String> out = new HashSet<>();
    permanent.forEach(
        (name, v) -> {
          if (!isLogical(v)) {
            out.add(name);
          }
        });
    return out;
  }
}
