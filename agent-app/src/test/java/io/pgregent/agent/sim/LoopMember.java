package io.pgregent.agent.sim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.FenceSettings;
import io.pgregent.agent.config.GuardMode;
import io.pgregent.agent.config.LeaseSettings;
import io.pgregent.agent.config.LogSettings;
import io.pgregent.agent.config.RestApiSettings;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.config.WatchdogSettings;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.FailsafeHeartbeats;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.agent.loop.PeerClient;
import io.pgregent.agent.rest.StatusDocument;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.InMemoryDcs;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.core.sim.PausableMachine;
import io.pgregent.core.sim.PgModel;
import io.pgregent.core.sim.SimCluster;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;

/**
 * One machine running the agent's own loop ({@link HaLoop}, with its executor and lease guard) on
 * simulated threads: its PostgreSQL is a {@link ModelPostgres}, its store client a {@link SimDcs},
 * its calls to other members {@link SimPeers}, and its REST API one thread that serves other
 * members' status queries. The fence, a process of its own, holds the lease guard's deadline while
 * the agent is frozen.
 */
final class LoopMember extends PausableMachine implements SimDcs.Network {

  private final AgentConfig config;
  private final SimWorld pgWorld;

  private InMemoryDcs store;
  private HaLoop loop;
  private FailsafeHeartbeats heartbeats;
  // Requests of other members, served one at a time by the REST thread.
  private final ArrayDeque<RestRequest> requests = new ArrayDeque<>();
  private TaskRunner.Signal requestArrived;

  private TaskRunner.Signal stallEnded;
  private long slowStoreUntil;
  // Hand-made schedules' knobs (LoopSimulationTests): PostgreSQL commands at their longest, and
  // an event right after a given store call returns.
  private long slowPostgresUntil;
  private String hookedCall;
  private Runnable hook;

  LoopMember(String name, SimCluster world, ObjectNode bootstrapDcs, Path base) {
    super(name, world);
    this.config = config(name, bootstrapDcs, base.resolve(name));
    this.pgWorld = new MemberWorld();
  }

  private static AgentConfig config(String name, ObjectNode bootstrapDcs, Path dataDir) {
    PostgresSettings pg =
        PostgresSettings.builder()
            .scope("sim")
            .name(name)
            .dataDir(dataDir)
            .listen(name + ":5432")
            .connectAddress(name + ":5432")
            .superuser(Credentials.of("postgres", "secret"))
            .replication(Credentials.of("replicator", "secret"))
            .usePgRewind(true)
            .build();
    return new AgentConfig(
        "sim",
        null,
        name,
        new RestApiSettings(name, 8008, name + ":8008", null, null, false),
        pg,
        bootstrapDcs,
        Tags.none(),
        Map.of(),
        new LeaseSettings(
            new WatchdogSettings(
                GuardMode.OFF,
                WatchdogSettings.DEFAULT_DEVICE,
                WatchdogSettings.DEFAULT_SAFETY_MARGIN,
                WatchdogSettings.Driver.LINUX),
            new FenceSettings(GuardMode.OFF, dataDir.resolveSibling(name + "-fence"))),
        LogSettings.DEFAULT);
  }

  // ---- the machine ----

  @Override
  public boolean believesLeader() {
    return up && loop != null && (loop.holdsLock() || failsafePrimary());
  }

  /** As its last cycle published it (a cycle under way starts from no failsafe), lease guarded. */
  private boolean failsafePrimary() {
    return up
        && loop != null
        && loop.snapshotNow().map(AgentSnapshot::failsafeActive).orElse(false);
  }

  @Override
  public void start(long delayNanos) {
    world.sim.schedule(Duration.ofNanos(delayNanos), "start " + name, this::startAgent);
  }

  /** A fresh agent process: the loop, its lease guard and the REST thread start with it. */
  private void startAgent() {
    process = world.threads.process(name, clock);
    store = world.connect(name, process.signal());
    requestArrived = process.signal();
    stallEnded = process.signal();
    ModelPostgres postgres =
        new ModelPostgres(name, pg, config.postgresql().dataDir(), config.postgresql(), pgWorld);
    heartbeats = new FailsafeHeartbeats();
    loop =
        new HaLoop(
            new SimDcs(store, this),
            postgres,
            config,
            heartbeats,
            new SimPeers(this),
            process,
            clock);
    if (world.options.fence()) {
      loop.leaseGuard().addListener(fence);
    }
    if (loop.failsafeMode() && loop.startedNanos().isPresent()) {
      // A restarted agent may have vouched for a primary before: it keeps out of the race as if
      // it had just accepted every member's heartbeat.
      world.agents().stream()
          .map(io.pgregent.core.sim.SimMachine::name)
          .filter(other -> !other.equals(name))
          .forEach(this::promise);
    }
    loop.start();
    process.start("rest", this::serveRest);
  }

  @Override
  public void wakeIfChanged(long deliveryNanos) {
    // The store's watch wakes the loop itself, through the signal it waits on.
  }

  @Override
  public void crash() {
    up = false;
    world.promisesForgotten(name);
    forgetPauses();
    slowStoreUntil = 0;
    fence.cleared();
    requests.clear();
    if (process != null) {
      process.kill();
    }
    loop = null;
    pg.crash();
    if (store != null) {
      store.close();
    }
  }

  @Override
  public void restart() {
    up = true;
    startAgent();
  }

  @Override
  protected void resumed() {
    if (stallEnded != null) {
      stallEnded.raise();
    }
  }

  @Override
  public void slowStore(Duration lasts) {
    slowStoreUntil = world.sim.nowNanos() + lasts.toNanos();
  }

  /** Each PostgreSQL command started in the next {@code lasts} takes its longest time. */
  void slowPostgres(Duration lasts) {
    slowPostgresUntil = world.sim.nowNanos() + lasts.toNanos();
  }

  /** Runs {@code event} right after this member's next store call {@code what} returns. */
  void afterNextCall(String what, Runnable event) {
    hookedCall = what;
    hook = event;
  }

  // ---- what the loop's ports ask of the machine ----

  TaskRunner.Signal signal() {
    return process.signal();
  }

  long nanoTime() {
    return clock.nanoTime();
  }

  LoopMember peer(String member) {
    return world.agent(member) instanceof LoopMember m ? m : null;
  }

  boolean cutFrom(String member) {
    return world.peersCut(name, member);
  }

  /** The calling thread (one of this machine's) spends {@code nanos} of its clock. */
  void sleep(long nanos) throws InterruptedException {
    TaskRunner.Signal s = process.signal();
    long end = clock.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - clock.nanoTime()) {
      s.await(s.count(), left);
    }
  }

  private long millis(long min, long max) {
    return world.sim.random().nextLong(min, max + 1) * 1_000_000L;
  }

  @Override
  public void travel() throws InterruptedException {
    boolean slow = world.sim.nowNanos() < slowStoreUntil;
    sleep(slow ? millis(0, 1_000) : world.sim.random().nextLong(500_000, 5_000_001));
  }

  @Override
  public void beforeCall() throws InterruptedException {
    while (stalled) {
      long seen = stallEnded.count();
      if (!stalled) {
        break;
      }
      stallEnded.await(seen, -1);
    }
  }

  @Override
  public void afterCall(String what) throws InterruptedException {
    if (what.equals(hookedCall)) {
      Runnable event = hook;
      hookedCall = null;
      hook = null;
      event.run();
    }
    Class<? extends Action> done =
        switch (what) {
          case "acquire" -> Action.AcquireLock.class;
          case "refresh" -> Action.RefreshLock.class;
          case "peers" -> Action.QueryPeers.class;
          case "promote" -> Action.Promote.class;
          default -> null;
        };
    if (done != null && pauseIfArmed(done)) {
      // Frozen, the next wait lasts until the thaw; stalled, until the stall ends.
      sleep(1);
      beforeCall();
    }
  }

  /** {@link #afterCall} for a caller that cannot throw: an interrupt is kept for later. */
  void afterCallKeepingInterrupt(String what) {
    try {
      afterCall(what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the REST API ----

  /** A request to this member's REST API. */
  interface RestRequest {
    /** Handled on the REST thread with the member's loop; returns the delivery of its answer. */
    Runnable handle(HaLoop loop, FailsafeHeartbeats heartbeats, long nanos);
  }

  /** Queues a request for the REST thread. */
  void serve(RestRequest request) {
    requests.add(request);
    requestArrived.raise();
  }

  /**
   * Records this member's promise to {@code primary}, whose heartbeat it just accepted: out of the
   * race for a ttl (the shortest validity), less the largest clock drift.
   */
  void promise(String primary) {
    long ttl = Duration.ofSeconds(loop.ttlSeconds()).toNanos();
    world.promised(name, primary, world.sim.nowNanos() + ttl - ttl / 50);
  }

  /** {@code GET /patroni}: the status document the leader race reads. */
  RestRequest statusQuery(SimPeers.Pending pending) {
    return (l, h, nanos) -> {
      Optional<AgentSnapshot> s = l.sampledSince(nanos);
      PeerStatus status =
          s.isEmpty()
              ? PeerStatus.unreachable(name)
              : PeerClient.parse(name, ClusterCodec.json(StatusDocument.render(s.get(), config)));
      return () -> pending.answer(status);
    };
  }

  private void serveRest() {
    try {
      while (true) {
        long seen = requestArrived.count();
        RestRequest r = requests.poll();
        if (r == null) {
          requestArrived.await(seen, -1);
          continue;
        }
        sleep(millis(1, 3));
        Runnable answer = r.handle(loop, heartbeats, clock.nanoTime());
        sleep(millis(1, 3));
        answer.run();
      }
    } catch (InterruptedException e) {
      // The process ends.
    }
  }

  /** This member's view of the world, for its PostgreSQL. */
  private final class MemberWorld implements SimWorld {
    @Override
    public PgModel pg(String member) {
      return world.pg(member);
    }

    @Override
    public java.util.List<PgModel> standbysOf(String member) {
      return world.standbysOf(member);
    }

    @Override
    public String newSystemId() {
      return world.newSystemId();
    }

    @Override
    public void timelineCreated(long timeline, String member) {
      world.timelineCreated(timeline, member);
    }

    @Override
    public void spend(long minMillis, long maxMillis) throws InterruptedException {
      boolean slow = world.sim.nowNanos() < slowPostgresUntil;
      sleep(slow ? maxMillis * 1_000_000L : millis(minMillis, maxMillis));
    }

    @Override
    public void landed(String program) {
      afterCallKeepingInterrupt(program);
    }

    @Override
    public void trace(String line) {
      world.sim.trace(line);
    }
  }

  @Override
  public String toString() {
    return name + (up ? "" : " (down)") + (believesLeader() ? " [lock]" : "") + " " + pg;
  }
}
