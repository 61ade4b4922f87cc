package io.pgregent.core.cluster;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything the store holds for one cluster, read at one moment. Absent keys are empty optionals;
 * a key whose value could not be parsed is absent too and named in {@link #malformedKeys()}, except
 * {@code config}, for which the last good value read is kept.
 *
 * @param initialize the {@code initialize} key
 * @param config the {@code config} key
 * @param leader the {@code leader} key
 * @param members the {@code members/*} keys by member name
 * @param status the {@code status} key, or the legacy {@code optime/leader}
 * @param history the {@code history} key
 * @param failover the {@code failover} key
 * @param sync the {@code sync} key
 * @param failsafe the {@code failsafe} key
 * @param malformedKeys keys (relative to the cluster path) whose value could not be parsed
 * @param takenTimeline the {@code regent-timeline} key
 */
public record ClusterView(
    Optional<Initialize> initialize,
    Optional<ClusterConfig> config,
    Optional<Leader> leader,
    SortedMap<String, Member> members,
    Optional<Status> status,
    Optional<TimelineHistory> history,
    Optional<Failover> failover,
    Optional<SyncState> sync,
    Optional<Failsafe> failsafe,
    List<String> malformedKeys,
    Optional<TakenTimeline> takenTimeline) {

  public ClusterView {
    members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    malformedKeys = List.copyOf(malformedKeys);
    Objects.requireNonNull(takenTimeline, "takenTimeline");
  }

  /** A view without the {@code regent-timeline} key. */
  public ClusterView(
      Optional<Initialize> initialize,
      Optional<ClusterConfig> config,
      Optional<Leader> leader,
      SortedMap<String, Member> members,
      Optional<Status> status,
      Optional<TimelineHistory> history,
      Optional<Failover> failover,
      Optional<SyncState> sync,
      Optional<Failsafe> failsafe,
      List<String> malformedKeys) {
    this(
        initialize,
        config,
        leader,
        members,
        status,
        history,
        failover,
        sync,
        failsafe,
        malformedKeys,
        Optional.empty());
  }

  /** A store holding nothing for this cluster. */
  public static ClusterView empty() {
    return new ClusterView(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        new TreeMap<>(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of());
  }

  public Optional<Member> member(String name) {
    return Optional.ofNullable(members.get(name));
  }

  /** The member document of the lock holder, when both exist. */
  public Optional<Member> leaderMember() {
    return leader.flatMap(l -> member(l.name()));
  }

  public boolean isLockedBy(String name) {
    return leader.map(l -> l.name().equals(name)).orElse(false);
  }
}
