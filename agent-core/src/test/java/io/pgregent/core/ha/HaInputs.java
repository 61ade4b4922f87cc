package io.pgregent.core.ha;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Failsafe;
import io.pgregent.core.cluster.Initialize;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.cluster.TakenTimeline;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.dcs.ClusterCodec;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/** Builders for decision inputs, so that each table row states only what matters to it. */
final class HaInputs {

  static final String ME = "pg1";
  static final String SYSID = "7710782928459690229";
  static final long EPOCH_MILLIS = 1_800_000_000_000L;

  private HaInputs() {}

  static final class Builder {
    private boolean storeReachable = true;
    private boolean leaderPublished = true;
    private boolean leaderPromoted = true;
    private String leader;
    private boolean initialized = true;
    private Long optime;
    private final List<TimelineHistory.Entry> history = new ArrayList<>();
    private LocalState local = running(true, 100, Optional.of("pg0"));
    private CycleFacts cycle = CycleFacts.fresh();
    private HaSettings settings = HaInputs.settings(false, false, 1, false, false);
    private AgentMemory memory = AgentMemory.initial();
    private long now = 1_000_000_000_000L;
    private SyncState sync;
    private final Map<String, Map<String, Object>> tags = new TreeMap<>();
    private final Map<String, Long> memberTimelines = new TreeMap<>();
    private TakenTimeline takenTimeline;
    private final java.util.Set<String> absent = new java.util.TreeSet<>();
    private Map<String, String> failsafe;

    /** {@code member} has no member key (its lease expired). */
    Builder withoutMember(String member) {
      absent.add(member);
      return this;
    }

    /** The {@code failsafe} key names {@code members} (with the test api_url of each). */
    Builder failsafe(String... members) {
      failsafe = apiUrls(members);
      return this;
    }

    Builder sync(SyncState value) {
      sync = value;
      return this;
    }

    private final Map<String, String> states = new TreeMap<>();

    /** {@code member}'s published state ({@code running} unless set). */
    Builder memberState(String member, String state) {
      states.put(member, state);
      return this;
    }

    Builder tag(String member, String tag, Object value) {
      tags.computeIfAbsent(member, m -> new TreeMap<>()).put(tag, value);
      return this;
    }

    private long epochMillis = EPOCH_MILLIS;
    private long leaderTimeline;
    private long leaderPosition;
    private Failover failover;

    Builder storeDown() {
      storeReachable = false;
      return this;
    }

    Builder leader(String name) {
      leader = name;
      return this;
    }

    /** {@code name} holds the lock, its member key still says replica: it has not promoted. */
    Builder leaderNotPromotedYet(String name) {
      leader = name;
      leaderPromoted = false;
      return this;
    }

    Builder leaderWithoutMemberKey(String name) {
      leader = name;
      leaderPublished = false;
      return this;
    }

    Builder uninitialized() {
      initialized = false;
      return this;
    }

    Builder optime(long lsn) {
      optime = lsn;
      return this;
    }

    Builder historyUpTo(long timeline) {
      for (long t = 1; t < timeline; t++) {
        switchLeft(t, null);
      }
      return this;
    }

    /**
     * A history whose switches leave each of {@code timelines} (a number skipped was abandoned),
     * the newest made by {@code lastBy}.
     */
    Builder historyLeaving(String lastBy, long... timelines) {
      for (int i = 0; i < timelines.length; i++) {
        switchLeft(timelines[i], i == timelines.length - 1 ? lastBy : null);
      }
      return this;
    }

    private void switchLeft(long timeline, String by) {
      history.add(
          new TimelineHistory.Entry(
              timeline, timeline * 100, "no recovery target specified", null, by));
    }

    Builder local(LocalState value) {
      local = value;
      return this;
    }

    Builder cycle(CycleFacts value) {
      cycle = value;
      return this;
    }

    Builder settings(HaSettings value) {
      settings = value;
      return this;
    }

    Builder memory(AgentMemory value) {
      memory = value;
      return this;
    }

    Builder leaderTimeline(long value) {
      leaderTimeline = value;
      return this;
    }

    /** The {@code regent-timeline} key names {@code timeline}. */
    Builder takenTimeline(long timeline) {
      takenTimeline = new TakenTimeline(timeline, 6);
      return this;
    }

    /** The member key of {@code member} (not the leader) names {@code timeline}. */
    Builder memberTimeline(String member, long timeline) {
      memberTimelines.put(member, timeline);
      return this;
    }

    /** The leader's member key names {@code timeline} and WAL position {@code lsn}. */
    Builder leaderAt(long timeline, long lsn) {
      leaderTimeline = timeline;
      leaderPosition = lsn;
      return this;
    }

    Builder epochMillis(long value) {
      epochMillis = value;
      return this;
    }

    Builder failover(String leader, String candidate, OffsetDateTime scheduledAt) {
      failover = new Failover(leader, candidate, scheduledAt, 7);
      return this;
    }

    Builder now(long nanos) {
      now = nanos;
      return this;
    }

    HaInput build() {
      Optional<ClusterView> view = Optional.empty();
      if (storeReachable) {
        TreeMap<String, Member> members = new TreeMap<>();
        for (String name : List.of("pg0", "pg1", "pg2")) {
          if (name.equals(leader) && !leaderPublished || absent.contains(name)) {
            continue;
          }
          ObjectNode data = ClusterCodec.nodes().objectNode();
          data.put("conn_url", "postgres://127.0.0.1:5432/postgres");
          data.put("api_url", apiUrl(name));
          data.put("role", name.equals(leader) && leaderPromoted ? "primary" : "replica");
          data.put("state", states.getOrDefault(name, "running"));
          if (name.equals(leader) && leaderTimeline > 0) {
            data.put("timeline", leaderTimeline);
          } else if (memberTimelines.containsKey(name)) {
            data.put("timeline", memberTimelines.get(name));
          }
          if (name.equals(leader) && leaderPosition > 0) {
            data.put("xlog_location", leaderPosition);
          }
          if (tags.containsKey(name)) {
            ObjectNode t = data.putObject("tags");
            tags.get(name).forEach(t::putPOJO);
          }
          members.put(name, Member.of(name, data));
        }
        view =
            Optional.of(
                new ClusterView(
                    initialized ? Optional.of(new Initialize(SYSID, 1)) : Optional.empty(),
                    Optional.empty(),
                    Optional.ofNullable(leader).map(l -> new Leader(l, 5)),
                    members,
                    Optional.ofNullable(optime).map(Status::ofOptime),
                    history.isEmpty()
                        ? Optional.empty()
                        : Optional.of(new TimelineHistory(history, 3)),
                    Optional.ofNullable(failover),
                    Optional.ofNullable(sync),
                    Optional.ofNullable(failsafe).map(f -> new Failsafe(f, 4)),
                    List.of(),
                    Optional.ofNullable(takenTimeline)));
      }
      return new HaInput(view, local, cycle, settings, memory, now, epochMillis);
    }

    Decision decide() {
      return HaDecider.decide(build());
    }
  }

  static String apiUrl(String member) {
    return "http://" + member + ".test:8008/patroni";
  }

  /** Asking {@code members} for their status. */
  static Action.QueryPeers ask(String... members) {
    return new Action.QueryPeers(apiUrls(members));
  }

  /** Each of {@code members} with its test api_url. */
  private static Map<String, String> apiUrls(String... members) {
    Map<String, String> urls = new TreeMap<>();
    for (String m : members) {
      urls.put(m, apiUrl(m));
    }
    return urls;
  }

  static Builder input() {
    return new Builder();
  }

  /** This member holds the leader lock, refreshed this cycle, with {@code local} PostgreSQL. */
  static Builder refreshedLeader(LocalState local) {
    return input().leader(ME).local(local).cycle(refreshed());
  }

  /** A cycle in which this member refreshed its leader lock. */
  static CycleFacts refreshed() {
    return CycleFacts.fresh().withLockRefreshed(true);
  }

  static LocalState running(boolean inRecovery, long wal, Optional<String> upstream) {
    return new LocalState(
        PostgresRunState.RUNNING,
        inRecovery,
        Optional.of(SYSID),
        1,
        wal,
        upstream,
        inRecovery,
        Optional.empty());
  }

  static LocalState primary(long wal) {
    return running(false, wal, Optional.empty());
  }

  static LocalState replicaOf(String upstream, long wal) {
    return running(true, wal, Optional.of(upstream));
  }

  static LocalState withTimeline(LocalState l, long timeline) {
    return copy(l, timeline, l.streaming(), l.task(), l.replication());
  }

  static LocalState withReplication(LocalState l, ReplicationStatus replication) {
    return copy(l, l.timeline(), l.streaming(), l.task(), replication);
  }

  /** A standby whose WAL receiver is not streaming. */
  static LocalState notStreaming(LocalState l) {
    return copy(l, l.timeline(), false, l.task(), l.replication());
  }

  private static LocalState copy(
      LocalState l,
      long timeline,
      boolean streaming,
      Optional<String> task,
      ReplicationStatus replication) {
    return new LocalState(
        l.run(),
        l.inRecovery(),
        l.systemIdentifier(),
        timeline,
        l.walPosition(),
        l.upstream(),
        streaming,
        task,
        replication,
        l.lineage(),
        l.formerPrimary());
  }

  /** A server that reports no timeline, WAL position or upstream yet. */
  private static LocalState idle(
      PostgresRunState run, boolean inRecovery, Optional<String> systemId, Optional<String> task) {
    return new LocalState(run, inRecovery, systemId, 0, 0, Optional.empty(), false, task);
  }

  static LocalState inState(PostgresRunState run) {
    Optional<String> systemId =
        run == PostgresRunState.NO_DATA ? Optional.empty() : Optional.of(SYSID);
    return idle(run, false, systemId, Optional.empty());
  }

  /** A standby whose postmaster runs but does not answer queries yet. */
  static LocalState startingStandby() {
    return idle(PostgresRunState.STARTING, true, Optional.of(SYSID), Optional.empty());
  }

  static LocalState stoppedPrimary() {
    return idle(PostgresRunState.STOPPED, false, Optional.of(SYSID), Optional.empty());
  }

  static LocalState stoppedStandby() {
    return idle(PostgresRunState.STOPPED, true, Optional.of(SYSID), Optional.empty());
  }

  static LocalState busy(String task) {
    return idle(PostgresRunState.NO_DATA, false, Optional.empty(), Optional.of(task));
  }

  /** A running primary with a task in progress. */
  static LocalState busyPrimary(String task) {
    LocalState p = primary(100);
    return copy(p, p.timeline(), p.streaming(), Optional.of(task), p.replication());
  }

  static LocalState foreign() {
    return withTimeline(
        idle(PostgresRunState.RUNNING, true, Optional.of("1234"), Optional.empty()), 1);
  }

  static HaSettings settings(
      boolean paused, boolean nofailover, int priority, boolean failsafe, boolean checkTimeline) {
    return settings(
        30_000, 10_000, 10_000, 300_000, paused, nofailover, priority, failsafe, checkTimeline);
  }

  /** Settings with the given timings (milliseconds), asynchronous replication and no tags. */
  static HaSettings settings(
      long ttl,
      long loopWait,
      long retryTimeout,
      long primaryStartTimeout,
      boolean paused,
      boolean nofailover,
      int priority,
      boolean failsafe,
      boolean checkTimeline) {
    return new HaSettings(
        ME,
        ttl,
        loopWait,
        retryTimeout,
        1_048_576,
        checkTimeline,
        primaryStartTimeout,
        paused,
        failsafe,
        nofailover,
        priority,
        SyncSettings.OFF,
        null,
        false,
        false,
        null);
  }

  static HaSettings paused() {
    return settings(true, false, 1, false, false);
  }

  static HaSettings primaryStartTimeout(long millis) {
    return settings(30_000, 10_000, 10_000, millis, false, false, 1, false, false);
  }

  static Map<String, PeerStatus> peers(PeerStatus... statuses) {
    Map<String, PeerStatus> map = new TreeMap<>();
    for (PeerStatus p : statuses) {
      map.put(p.name(), p);
    }
    return map;
  }

  static PeerStatus replicaPeer(String name, long wal) {
    return new PeerStatus(name, true, false, wal, 1, false, 1);
  }

  /** A reachable member that runs a primary on timeline 1 at {@code wal}. */
  static PeerStatus primaryPeer(String name, long wal) {
    return new PeerStatus(name, true, true, wal, 1, false, 1);
  }

  static AgentMemory leaderMemory() {
    return AgentMemory.initial().withWasLeader(true);
  }

  static AgentMemory downSince(long nanos) {
    return AgentMemory.initial().withPrimaryDownSince(OptionalLong.of(nanos));
  }
}
