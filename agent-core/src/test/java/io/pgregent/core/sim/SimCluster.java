package io.pgregent.core.sim;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.InMemoryDcs;
import io.pgregent.core.dcs.InMemoryStore;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.core.ha.SyncSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * A simulated cluster: agents, their PostgreSQL models and one in-memory store, all on the
 * simulation's clock. The world ticks every {@link #TICK}: clients write on writable primaries,
 * standbys stream, the store expires leases and watches wake the loops they concern.
 */
public final class SimCluster implements AutoCloseable {

  static final Duration TICK = Duration.ofMillis(100);

  public final Simulation sim;
  public final InMemoryStore store;
  private final ClusterPath path = ClusterPath.of(null, "sim");
  // Checked after every event: built once.
  private final String leaderKey = path.key(io.pgregent.core.dcs.ClusterKey.LEADER);
  private final String syncKeyPath = path.key(io.pgregent.core.dcs.ClusterKey.SYNC);
  private final String initializeKey = path.key(io.pgregent.core.dcs.ClusterKey.INITIALIZE);
  private final String failsafeKey = path.key(io.pgregent.core.dcs.ClusterKey.FAILSAFE);
  private final DcsTimings timings;
  private final Map<String, SimMachine> agents = new LinkedHashMap<>();
  private long systemIds;
  // Every timeline ever created, with who created it: PostgreSQL picks the next number from the
  // history files it has, so a member that never saw timeline N creates another N.
  private final Map<Long, String> timelines = new java.util.TreeMap<>();
  private boolean timelineReused;

  /**
   * What the model includes beyond the first one.
   *
   * @param stepwise each step of a cycle takes simulated time (store calls, PostgreSQL commands),
   *     so faults land between the steps; else a cycle is one instant
   * @param leaseGuard the lease guard stops PostgreSQL at the lease deadline, as the agent's
   * @param fence a process beside PostgreSQL holds the same deadline, frozen agent or not
   * @param sync {@code synchronous_mode} and its settings
   */
  public record Options(boolean stepwise, boolean leaseGuard, boolean fence, SyncSettings sync) {
    /** The first model: instant cycles, no lease guard (the leader-crash seeds replay it). */
    public static final Options FIRST = new Options(false, false, false, SyncSettings.OFF);

    public static final Options FULL = new Options(true, true, true, SyncSettings.OFF);

    public Options withSync(SyncSettings s) {
      return new Options(stepwise, leaseGuard, fence, s);
    }
  }

  // The newest commit acknowledged to a client: its timeline and position.
  private long ackedTimeline;
  private long ackedLsn = -1;
  private String ackedBy;

  public final Options options;
  // The agents' own threads (their lease guards), run one at a time in simulated time.
  public final SimThreads threads;
  // Pairs of members that cannot reach each other's REST API.
  private final java.util.Set<String> peerCuts = new java.util.TreeSet<>();

  SimCluster(Simulation sim, List<String> names, long ttlMillis, long loopWaitMillis) {
    this(sim, names, ttlMillis, loopWaitMillis, Options.FIRST);
  }

  /** Makes one machine of a cluster. */
  public interface Machines {
    SimMachine create(String name, SimCluster world);
  }

  /** A cluster of the machines {@code machines} makes, one per name. */
  public SimCluster(
      Simulation sim, List<String> names, long ttlMillis, Options options, Machines machines) {
    this.sim = sim;
    this.options = options;
    this.threads = new SimThreads(sim);
    this.store = new InMemoryStore(sim.clock());
    this.timings = new DcsTimings(Duration.ofMillis(ttlMillis), Duration.ofSeconds(2));
    for (String name : names) {
      agents.put(name, machines.create(name, this));
    }
  }

  /** A cluster of model agents ({@link SimAgent}). */
  SimCluster(
      Simulation sim, List<String> names, long ttlMillis, long loopWaitMillis, Options options) {
    this(
        sim,
        names,
        ttlMillis,
        options,
        (name, world) -> {
          HaSettings settings =
              new HaSettings(
                  name,
                  ttlMillis,
                  loopWaitMillis,
                  2_000,
                  1_048_576,
                  false,
                  300_000,
                  false,
                  false,
                  false,
                  1,
                  options.sync(),
                  null,
                  false,
                  false,
                  null);
          return new SimAgent(name, world, settings);
        });
  }

  /** Records a promotion to {@code timeline}; a number created before is a reuse. */
  public void timelineCreated(long timeline, String member) {
    String first = timelines.putIfAbsent(timeline, member);
    if (first != null) {
      timelineReused = true;
      sim.trace(
          "finding: " + member + " created timeline " + timeline + " again (first: " + first + ")");
    }
  }

  public boolean timelineReused() {
    return timelineReused;
  }

  public static String apiUrl(String member) {
    return "http://" + member + ":8008/patroni";
  }

  public InMemoryDcs connect(String member) {
    return store.connect(member, path, timings);
  }

  /** A client whose loop waits for changes through {@code changes} (a simulated thread's). */
  public InMemoryDcs connect(String member, io.pgregent.core.time.TaskRunner.Signal changes) {
    return store.connect(member, path, timings, changes);
  }

  /** Whether {@code a} and {@code b} cannot reach each other's REST API. */
  public boolean peersCut(String a, String b) {
    return peerCuts.contains(pair(a, b));
  }

  public SimMachine agent(String name) {
    return agents.get(name);
  }

  public List<SimMachine> agents() {
    return new ArrayList<>(agents.values());
  }

  public PgModel pg(String name) {
    SimMachine a = agents.get(name);
    return a == null ? null : a.pg();
  }

  public String newSystemId() {
    return Long.toString(7_000_000_000_000_000_000L + ++systemIds);
  }

  private static String pair(String a, String b) {
    return a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
  }

  /** {@code a} and {@code b} can no longer reach each other's REST API. */
  public void cutPeers(String a, String b) {
    peerCuts.add(pair(a, b));
  }

  public void healPeers(String a, String b) {
    peerCuts.remove(pair(a, b));
  }

  public void healPeers() {
    peerCuts.clear();
  }

  /** Runs {@code fault} on the member whose agent believes it leads, if one does. */
  public void onTheLeader(java.util.function.Consumer<SimMachine> fault) {
    leader().ifPresent(fault);
  }

  /** The first member whose agent believes it leads, if any. */
  public Optional<SimMachine> leader() {
    return agents.values().stream().filter(SimMachine::believesLeader).findFirst();
  }

  /** The leader key's path in the store. */
  public String leaderKey() {
    return leaderKey;
  }

  /**
   * What {@code GET /patroni} of {@code name} answers {@code asker}: nothing while its agent is
   * down or frozen, or the two are cut apart.
   */
  public PeerStatus peerStatus(String asker, String name) {
    SimMachine a = agents.get(name);
    if (a == null || !a.answers() || peerCuts.contains(pair(asker, name))) {
      return PeerStatus.unreachable(name);
    }
    return new PeerStatus(name, true, a.pg().writable(), a.pg().lsn(), a.pg().timeline(), false, 1);
  }

  /** Starts every agent at a random offset within one loop_wait, and the world's tick. */
  /** Ends the run: the agents' threads are killed, so that none outlives it. */
  @Override
  public void close() {
    threads.close();
  }

  public void start(Duration loopWait) {
    for (SimMachine a : agents.values()) {
      a.start(sim.between(Duration.ZERO, loopWait).toNanos());
    }
    sim.schedule(TICK, "tick", this::tick);
  }

  private void tick() {
    for (SimMachine a : agents.values()) {
      a.pg().write(sim.random().nextLong(0, 64 * 1024));
    }
    for (SimMachine a : agents.values()) {
      // Standbys sometimes fall behind, so a crash can lose WAL and force a rewind.
      long catchUp = sim.random().nextLong(0, 96 * 1024);
      a.pg().upstream().ifPresent(u -> a.pg().replicateFrom(pg(u), catchUp));
    }
    if (options.sync().enabled()) {
      for (SimMachine a : agents.values()) {
        if (a.pg().writable()) {
          acknowledged(a.name(), a.pg().timeline(), a.pg().acknowledgeable(standbysOf(a.name())));
        }
      }
    }
    if (store.expire() > 0) {
      sim.trace("store: lease expired");
    }
    wakeWatchers();
    sim.schedule(TICK, "tick", this::tick);
  }

  /** The running standbys streaming from {@code name}. */
  public List<PgModel> standbysOf(String name) {
    List<PgModel> out = new ArrayList<>();
    for (SimMachine a : agents.values()) {
      if (a.pg().runningReplica()
          && a.pg().streaming()
          && a.pg().upstream().map(name::equals).orElse(false)) {
        out.add(a.pg());
      }
    }
    return out;
  }

  private void acknowledged(String primary, long timeline, long position) {
    if (position > ackedLsn) {
      ackedTimeline = timeline;
      ackedLsn = position;
      ackedBy = primary;
    }
  }

  /** A writable PostgreSQL without the newest acknowledged commit: a commit was lost. */
  public String acknowledgedCommitLost() {
    if (ackedLsn < 0) {
      return null;
    }
    for (SimMachine a : agents.values()) {
      if (a.pg().writable() && !a.pg().holds(ackedTimeline, ackedLsn)) {
        return a.name() + " is writable without " + newestCommit();
      }
    }
    return null;
  }

  // The sync key, parsed once per version of the key.
  private long syncVersion = -1;

  private io.pgregent.core.cluster.SyncState syncKey;

  /**
   * A {@code sync} key that allows a failover to a member without the newest acknowledged commit.
   * Synchronous mode: a member it names (leader or synchronous standby) lacks it. Quorum mode: its
   * leader lacks it, or more than {@code quorum} of its voters do (then {@code quorum + 1} voters
   * without it could elect one of them).
   */
  public String syncKeyNamesAMemberWithoutACommit() {
    io.pgregent.core.ha.SyncSettings.Mode mode = options.sync().mode();
    if (ackedLsn < 0 || mode == io.pgregent.core.ha.SyncSettings.Mode.OFF) {
      return null;
    }
    String key = syncKeyPath;
    Optional<InMemoryStore.Entry> entry = store.get(key);
    if (entry.isEmpty()) {
      return null;
    }
    if (entry.get().version() != syncVersion) {
      syncKey =
          io.pgregent.core.dcs.ClusterCodec.sync(
              new io.pgregent.core.dcs.RawNode(key, entry.get().value(), entry.get().version()));
      syncVersion = entry.get().version();
    }
    io.pgregent.core.cluster.SyncState sync = syncKey;
    if (sync.leader() != null && lacksTheCommit(sync.leader())) {
      return "the sync key names leader " + sync.leader() + ", which " + lacking();
    }
    List<String> without = sync.syncStandbys().stream().filter(this::lacksTheCommit).toList();
    if (mode == io.pgregent.core.ha.SyncSettings.Mode.ON) {
      return without.isEmpty()
          ? null
          : "the sync key names " + without.get(0) + ", which " + lacking();
    }
    int quorum = sync.quorum() == null ? 0 : sync.quorum();
    return without.size() <= quorum
        ? null
        : "the sync key's quorum is "
            + quorum
            + ", but voters "
            + String.join(",", without)
            + " lack the commit"
            + lacking().substring("lacks the commit".length());
  }

  private boolean lacksTheCommit(String member) {
    PgModel p = pg(member);
    return p != null && !p.holds(ackedTimeline, ackedLsn);
  }

  private String lacking() {
    return "lacks " + newestCommit();
  }

  /** The newest acknowledged commit, then the members' states. */
  private String newestCommit() {
    return "the commit acknowledged at timeline "
        + ackedTimeline
        + " lsn "
        + ackedLsn
        + " (by "
        + ackedBy
        + ") | "
        + describe();
  }

  /**
   * An operator's switchover to {@code candidate}, as an API call or regentctl writes it when the
   * leader cannot be asked: the {@code failover} key naming the lock holder and the candidate. What
   * was done, for the trace.
   */
  public String requestSwitchover(String candidate) {
    InMemoryDcs operator = connect("operator");
    try {
      io.pgregent.core.cluster.ClusterView view = operator.read();
      Optional<String> leader = view.leader().map(io.pgregent.core.cluster.Leader::name);
      if (leader.isEmpty() || leader.get().equals(candidate)) {
        return "not asked: the lock is held by " + leader.orElse("nobody");
      }
      boolean written =
          operator.compareAndSet(
              io.pgregent.core.dcs.ClusterKey.FAILOVER,
              view.failover().map(io.pgregent.core.cluster.Failover::version).orElse(0L),
              io.pgregent.core.dcs.ClusterCodec.encode(
                  new io.pgregent.core.cluster.Failover(leader.get(), candidate, null, 0)));
      wakeWatchers();
      return (written ? "asked " : "not written, a newer key stands: ")
          + leader.get()
          + " -> "
          + candidate;
    } catch (io.pgregent.core.dcs.DcsException e) {
      return "not asked: the store did not answer (" + e.getMessage() + ")";
    }
  }

  /** Delivers watch events to the loops whose keys changed, after a short random delay. */
  public void wakeWatchers() {
    for (SimMachine a : agents.values()) {
      a.wakeIfChanged(sim.between(Duration.ofMillis(1), Duration.ofMillis(50)).toNanos());
    }
  }

  /** Two writable primaries whose agents both believe they lead: the cluster, else null. */
  public String twoLeadingPrimaries() {
    long leaders =
        agents.values().stream().filter(a -> a.believesLeader() && a.pg().writable()).count();
    return leaders <= 1 ? null : describe();
  }

  /**
   * Null unless a member's WAL holds records its upstream never wrote while PostgreSQL sees nothing
   * wrong: it streamed or was rewound across two timelines under one number.
   */
  public String walFromAnotherTimeline() {
    return agents().stream()
        .filter(a -> a.pg().corruption() != null)
        .map(a -> a.name() + ": " + a.pg().corruption())
        .findFirst()
        .orElse(null);
  }

  /** Null when one leader is writable and every other member streams from it, else what is not. */
  public String notConverged() {
    List<SimMachine> leaders =
        agents().stream().filter(SimMachine::believesLeader).collect(Collectors.toList());
    if (leaders.size() != 1 || !leaders.get(0).pg().writable()) {
      return "no single writable leader: " + describe();
    }
    String leader = leaders.get(0).name();
    for (SimMachine a : agents()) {
      if (!a.name().equals(leader)
          && !(a.pg().runningReplica()
              && a.pg().streaming()
              && a.pg().upstream().map(leader::equals).orElse(false))) {
        return a.name() + " does not stream from " + leader + ": " + describe();
      }
    }
    return null;
  }

  // Failsafe mode: member -> primary -> until when (simulated) it promised to keep out of the race.
  private final Map<String, Map<String, Long>> promises = new HashMap<>();

  /**
   * {@code member} accepted a failsafe heartbeat of {@code primary}: it keeps out of the leader
   * race until {@code untilNanos} (simulated time, its clock's drift taken off).
   */
  public void promised(String member, String primary, long untilNanos) {
    promises.computeIfAbsent(member, m -> new HashMap<>()).put(primary, untilNanos);
  }

  /** {@code member}'s agent stopped: a new one remembers no promise. */
  public void promisesForgotten(String member) {
    promises.remove(member);
  }

  /**
   * In failsafe mode (its leader keeps the {@code failsafe} key), every other running member that
   * may race promised {@code primary} to keep out of it, still now. Only members the key names may
   * race (all when it names none).
   */
  private boolean vouchedByEveryone(String primary, long now) {
    Optional<InMemoryStore.Entry> key = store.get(failsafeKey);
    if (key.isEmpty()) {
      return false;
    }
    java.util.Set<String> mayRace =
        io.pgregent.core.dcs.ClusterCodec.failsafe(
                new io.pgregent.core.dcs.RawNode(
                    failsafeKey, key.get().value(), key.get().version()))
            .members()
            .keySet();
    for (SimMachine m : agents.values()) {
      if (m.name().equals(primary)
          || !m.up()
          || !(mayRace.isEmpty() || mayRace.contains(m.name()))) {
        continue;
      }
      Long until = promises.getOrDefault(m.name(), Map.of()).get(primary);
      if (until == null || until - now <= 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * A writable PostgreSQL past its lease: the store may have let another member lead. In failsafe
   * mode a primary may run on without one while every other running member keeps its promise to
   * stay out of the race (an accepted heartbeat).
   */
  public String writableWithoutLease() {
    if (agents.values().stream().noneMatch(a -> a.pg().writable())) {
      return null;
    }
    if (store.get(initializeKey).map(e -> e.value().isEmpty()).orElse(false)) {
      // A bootstrap under way: its new primary takes the lock once initdb is done; nobody else
      // has data until the key names the new system identifier.
      return null;
    }
    long now = sim.nowNanos();
    String key = leaderKey();
    String holder = store.get(key).map(e -> e.value()).orElse(null);
    OptionalLong expiry = store.leaseExpiry(key);
    for (SimMachine a : agents.values()) {
      if (a.pg().writable()
          && !(a.name().equals(holder) && expiry.isPresent() && expiry.getAsLong() - now > 0)
          && !vouchedByEveryone(a.name(), now)) {
        return a.name()
            + " is writable, the lock "
            + (holder == null ? "is free" : "is " + holder + "'s")
            + " | "
            + describe();
      }
    }
    return null;
  }

  /** One line with every member's state, for the trace. */
  public String describe() {
    return agents.values().stream().map(SimMachine::toString).collect(Collectors.joining(" | "));
  }
}
