package io.pgregent.agent.sim;

import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.ha.StandbyLink;
import io.pgregent.core.sim.PgModel;
import io.pgregent.core.slots.LocalSlot;
import io.pgregent.postgres.ControlData;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresBinaries;
import io.pgregent.postgres.PostgresException;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.PostgresSetupException;
import io.pgregent.postgres.PromotionAbortedException;
import io.pgregent.postgres.ReplicationSlots;
import io.pgregent.postgres.RewindOutcome;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.StopMode;
import io.pgregent.postgres.TimelineHistoryFile;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.CommandTimeoutException;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresQueryException;
import io.pgregent.postgres.status.ReplicationRow;
import io.pgregent.postgres.status.ServerStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The {@link PostgresPort} of one simulated member: each call acts on its {@link PgModel} as the
 * real command would act on a server, after spending the command's time in the simulated world (so
 * that a fault can land before the command does), and {@link #state()} shows the model as the
 * status queries would. The model changes under it between calls (crashes, the fence, streaming):
 * nothing of it is kept here.
 *
 * <p>Kept true to the model on disk: the timeline history files in {@code pg_wal}, which the loop
 * reads itself. Not modelled, and so unsupported: standby clusters, the {@code nostream} tag,
 * re-cloning and reinitializing, cloning without a leader, custom bootstrap methods, callbacks and
 * scripts (they are not run). A stop shows as a clean shutdown whatever its mode ({@link PgModel}
 * does not tell an immediate stop from a clean one); a crash does not.
 */
public final class ModelPostgres implements PostgresPort {

  private final String member;
  private final PgModel pg;
  private final Path dataDir;
  private final PostgresSettings settings;
  private final SimWorld world;

  // The history files last written to pg_wal, to skip the IO while the lineage stays the same.
  private Map<Path, String> historyOnDisk;

  /**
   * @param dataDir where the history files go: the agent's {@code postgresql.data_dir} too, since
   *     the loop reads them there as well as through {@link #dataDir()}
   */
  public ModelPostgres(
      String member, PgModel pg, Path dataDir, PostgresSettings settings, SimWorld world) {
    this.member = member;
    this.pg = pg;
    this.dataDir = dataDir;
    this.settings = settings;
    this.world = world;
  }

  // ---------------------------------------------------------------- what it is

  @Override
  public PostgresSettings settings() {
    return settings;
  }

  @Override
  public PostgresBinaries binaries() {
    throw unsupported("binaries", "no PostgreSQL programs run in the simulation");
  }

  @Override
  public OsUser osUser() {
    // Read only to run the fence as a process of its own; the world models the fence.
    throw unsupported("osUser", "the fence is the world's");
  }

  @Override
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public Path logFile() {
    return dataDir.resolve("log").resolve("postmaster.log");
  }

  // ---------------------------------------------------------------- state

  @Override
  public LocalPostgresState state() {
    boolean answered = query(1, 5);
    syncHistoryFiles();
    return sample(answered);
  }

  @Override
  public boolean isRunning() {
    // A look at postmaster.pid: an interrupt does not stop it.
    query(1, 5);
    return pg.run() == PostgresRunState.RUNNING;
  }

  @Override
  public ControlData controlData() {
    command("pg_controldata", 1, 5);
    if (pg.run() == PostgresRunState.NO_DATA) {
      throw new PostgresException(
          "pg_controldata failed: could not open file \"global/pg_control\" in " + dataDir);
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("Database system identifier", pg.systemIdentifier().orElse(""));
    fields.put("Database cluster state", clusterState());
    fields.put("Latest checkpoint location", lsn(pg.lsn()));
    fields.put("Latest checkpoint's TimeLineID", Long.toString(pg.timeline()));
    return new ControlData(fields);
  }

  private String clusterState() {
    return switch (pg.run()) {
      case RUNNING, STARTING, CRASHED -> pg.primaryData() ? "in production" : "in archive recovery";
      default -> pg.primaryData() ? "shut down" : "shut down in recovery";
    };
  }

  @Override
  public void verifySystemIdentifier(String expected) {
    String actual = controlData().systemIdentifier();
    if (!actual.equals(expected)) {
      throw new PostgresSetupException(
          "the data directory "
              + dataDir
              + " belongs to another cluster (system identifier "
              + actual
              + ", the cluster has "
              + expected
              + ")");
    }
  }

  /** The model as the status queries show it now; {@code answered}: the queries got through. */
  private LocalPostgresState sample(boolean answered) {
    PostgresRunState run = pg.run();
    if (run == PostgresRunState.NO_DATA) {
      return new LocalPostgresState(
          RunState.STOPPED, PostgresRole.UNKNOWN, 0, false, Optional.empty(), Optional.empty());
    }
    PostgresRole fileRole = pg.primaryData() ? PostgresRole.PRIMARY : PostgresRole.REPLICA;
    if (run != PostgresRunState.RUNNING) {
      return new LocalPostgresState(
          run == PostgresRunState.CRASHED ? RunState.CRASHED : RunState.STOPPED,
          fileRole,
          0,
          true,
          Optional.empty(),
          Optional.empty());
    }
    if (!answered) {
      return new LocalPostgresState(
          RunState.RUNNING,
          fileRole,
          postmasterPid(),
          true,
          Optional.empty(),
          Optional.of("interrupted"));
    }
    boolean primary = pg.writable();
    long lsn = pg.lsn();
    ServerStatus status =
        new ServerStatus(
            !primary,
            Instant.EPOCH,
            pg.systemIdentifier().orElse(""),
            (int) pg.timeline(),
            primary ? lsn : -1,
            primary ? -1 : lsn,
            primary ? -1 : lsn,
            Set.of(),
            primary ? replicationRows() : List.of(),
            !primary && pg.streaming() ? "streaming" : null);
    return new LocalPostgresState(
        RunState.RUNNING,
        primary ? PostgresRole.PRIMARY : PostgresRole.REPLICA,
        postmasterPid(),
        true,
        Optional.of(status),
        Optional.empty());
  }

  /** pg_stat_replication: the standbys streaming from us, with the sync states the model gives. */
  private List<ReplicationRow> replicationRows() {
    List<ReplicationRow> rows = new ArrayList<>();
    int pid = postmasterPid() + 100;
    for (StandbyLink l : pg.standbyLinks(world.standbysOf(member))) {
      long at = l.flushLsn();
      rows.add(
          new ReplicationRow(
              pid++, "replicator", l.name(), null, l.state(), l.syncState(), at, at, at, at, 0));
    }
    return rows;
  }

  private int postmasterPid() {
    return 1000 + Math.floorMod(member.hashCode(), 30_000);
  }

  // ---------------------------------------------------------------- configuration

  @Override
  public boolean configure(DynamicPostgresConfig config) {
    // The model has no parameters: postgresql.conf stays the same.
    return false;
  }

  @Override
  public boolean reloadSettings(PostgresSettings fresh) {
    return false;
  }

  @Override
  public boolean usePgRewind() {
    // The only way back for a diverged member the model has.
    return true;
  }

  @Override
  public Map<String, String> effectiveParameters() {
    Map<String, String> p = new LinkedHashMap<>();
    settings.parameters().forEach((k, v) -> p.put(k, String.valueOf(v)));
    pg.synchronousStandbyNames().ifPresent(v -> p.put("synchronous_standby_names", v));
    return p;
  }

  @Override
  public Optional<String> synchronousStandbyNames() {
    return pg.synchronousStandbyNames();
  }

  @Override
  public long setSynchronousStandbyNames(Optional<String> value, Duration timeout) {
    if (pg.run() != PostgresRunState.RUNNING) {
      // Written to postgresql.conf: in force from the next start.
      pg.setSynchronousStandbyNames(value);
      return -1;
    }
    try {
      world.spend(1, 30);
    } catch (InterruptedException e) {
      // Never seen in force: the old value stands, as the controller reports.
      Thread.currentThread().interrupt();
      throw new PostgresException("synchronous_standby_names not in force after reload");
    }
    long lsn = pg.setSynchronousStandbyNames(value);
    if (pg.run() != PostgresRunState.RUNNING) {
      throw new PostgresException("pg_ctl reload failed: no server running");
    }
    return pg.writable() ? lsn : -1;
  }

  // ---------------------------------------------------------------- bootstrap and replicas

  @Override
  public void bootstrap() {
    if (settings.bootstrap().method() != null) {
      throw unsupported("bootstrap", "custom bootstrap methods");
    }
    requireEmpty("bootstrap");
    command("initdb", 100, 5_000);
    pg.bootstrap(world.newSystemId());
    world.timelineCreated(pg.timeline(), member);
    syncHistoryFiles();
    world.trace(member + " initdb: system identifier " + pg.systemIdentifier().orElse("?"));
  }

  @Override
  public void createReplica(LeaderConnection leader, Duration timeout) {
    if (leader == null) {
      throw unsupported("createReplica", "a replica without a leader");
    }
    if (RemotePrimary.isRemote(leader)) {
      throw unsupported("createReplica", "standby clusters");
    }
    requireEmpty("create a replica");
    command("pg_basebackup", 100, 5_000);
    PgModel source = running(leader, "could not create a replica: basebackup");
    pg.cloneFrom(source);
    syncHistoryFiles();
    world.trace(member + " pg_basebackup from " + leader.name());
  }

  @Override
  public boolean canCloneWithoutLeader(String method) {
    return false;
  }

  @Override
  public void followLeader(LeaderConnection leader) {
    if (RemotePrimary.isRemote(leader)) {
      throw unsupported("followLeader", "standby clusters");
    }
    requireData("followLeader");
    if (pg.runningReplica()) {
      command("pg_ctl", 1, 30);
      if (pg.runningReplica()) {
        // A reload: the WAL receiver restarts only when primary_conninfo changed.
        if (!pg.upstream().equals(Optional.of(leader.name()))) {
          pg.follow(leader.name());
        }
        return;
      }
      pg.configureStandby(leader.name());
      throw new PostgresException("pg_ctl reload failed: no server running");
    }
    // A primary is stopped (fast) and started as a standby; a stopped server is started.
    command("pg_ctl", 100, 5_000);
    if (pg.writable()) {
      pg.stopFast(world.standbysOf(member));
    }
    pg.follow(leader.name());
  }

  @Override
  public void saveDynamicConfig(String json) {
    // patroni.dynamic.json is not read back by the loop.
  }

  @Override
  public void standbyCluster(Optional<RemotePrimary> remote) {
    if (remote.isPresent()) {
      throw unsupported("standbyCluster", "standby clusters");
    }
  }

  @Override
  public Optional<RemotePrimary> remotePrimary() {
    return Optional.empty();
  }

  @Override
  public boolean archiveShutdownCheckpointWal() {
    throw unsupported("archiveShutdownCheckpointWal", "WAL archiving");
  }

  @Override
  public void announceDemoted() {
    // Only a callback, and callbacks are not run.
  }

  @Override
  public void demote(Optional<LeaderConnection> newLeader) {
    if (newLeader.filter(RemotePrimary::isRemote).isPresent()) {
      throw unsupported("demote", "standby clusters");
    }
    stop(StopMode.FAST, settings.pgCtlTimeout());
    if (pg.run() == PostgresRunState.NO_DATA) {
      return;
    }
    if (newLeader.isEmpty()) {
      // Never comes up as a second primary by itself.
      pg.configureStandby(null);
      return;
    }
    command("pg_ctl", 100, 5_000);
    pg.start(true, newLeader.get().name());
  }

  @Override
  public void nostream(boolean value) {
    if (value) {
      throw unsupported("nostream", "recovery from the archive only");
    }
  }

  // ---------------------------------------------------------------- rewind

  @Override
  public RewindOutcome rewind(LeaderConnection leader, Duration timeout) {
    PgModel source = prepareRewind("rewind", leader);
    if (pg.canFollow(source)) {
      pg.configureStandby(leader.name());
      return RewindOutcome.NOT_NEEDED;
    }
    world.trace(member + " pg_rewind onto " + leader.name());
    // The model's rewind starts the server; pg_rewind leaves it stopped, configured to follow.
    pg.rewind(source);
    pg.stop(true);
    syncHistoryFiles();
    return RewindOutcome.REWOUND;
  }

  @Override
  public boolean rewindRequired(LeaderConnection leader, Duration timeout) {
    return !pg.canFollow(prepareRewind("rewindRequired", leader));
  }

  /**
   * What pg_rewind needs before it compares: a stopped server, crash recovery finished, a running
   * source of our cluster. Returns the source.
   */
  private PgModel prepareRewind(String method, LeaderConnection leader) {
    if (RemotePrimary.isRemote(leader)) {
      throw unsupported(method, "standby clusters");
    }
    requireData(method);
    if (pg.run() == PostgresRunState.RUNNING) {
      throw new PostgresException("pg_rewind needs a stopped server: stop it first");
    }
    command("pg_rewind", 100, 5_000);
    if (pg.run() == PostgresRunState.CRASHED) {
      pg.stop(false);
    }
    PgModel source = running(leader, "pg_rewind failed");
    if (!source.systemIdentifier().equals(pg.systemIdentifier())) {
      throw new PostgresException(
          "pg_rewind failed: source and target clusters are from different systems");
    }
    return source;
  }

  @Override
  public void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout) {
    throw unsupported("recloneOnDivergedTimelines", "re-cloning (use_pg_rewind is on)");
  }

  @Override
  public void reinitialize(LeaderConnection leader, Duration timeout) {
    throw unsupported("reinitialize", "re-cloning");
  }

  @Override
  public void recoverCrashedStandby() {
    if (pg.run() != PostgresRunState.CRASHED || pg.primaryData()) {
      return;
    }
    // Started as a standby without upstream, then stopped: the model keeps its WAL as it is.
    command("postgres", 100, 5_000);
    if (pg.run() == PostgresRunState.CRASHED) {
      pg.stop(false);
    }
  }

  // ---------------------------------------------------------------- process control

  @Override
  public void start() {
    start(() -> true);
  }

  @Override
  public void start(BooleanSupplier mayBePrimary) {
    requireData("start");
    if (pg.run() == PostgresRunState.RUNNING) {
      return; // adopted
    }
    command("pg_ctl", 100, 5_000);
    if (pg.run() != PostgresRunState.RUNNING && pg.primaryData() && !mayBePrimary.getAsBoolean()) {
      world.trace(member + " the lease lapsed before the start: starting as a standby");
      pg.configureStandby(null);
    }
    if (pg.run() != PostgresRunState.RUNNING) {
      // In the role its files give it: a standby signal makes it recover from its upstream.
      pg.start(false, null);
    }
  }

  @Override
  public void stop(StopMode mode, Duration timeout) {
    if (pg.run() != PostgresRunState.RUNNING) {
      return;
    }
    try {
      world.spend(50, 3_000);
    } catch (InterruptedException e) {
      // The controller escalates to killing the postmaster: it is gone either way.
      Thread.currentThread().interrupt();
      emergencyStop(timeout);
      return;
    }
    if (pg.run() != PostgresRunState.RUNNING) {
      return;
    }
    if (pg.writable() && mode != StopMode.IMMEDIATE) {
      pg.stopFast(world.standbysOf(member));
    } else {
      pg.stop(false);
    }
  }

  @Override
  public void emergencyStop(Duration timeout) {
    if (pg.run() == PostgresRunState.RUNNING) {
      world.trace(member + " emergency stop of PostgreSQL");
      pg.stop(false);
    }
  }

  @Override
  public void restart() {
    restart(() -> true);
  }

  @Override
  public void restart(BooleanSupplier mayStayPrimary) {
    requireData("restart");
    boolean primary = pg.primaryData();
    stop(StopMode.FAST, settings.pgCtlTimeout());
    if (primary && !mayStayPrimary.getAsBoolean()) {
      pg.configureStandby(null);
    }
    start();
  }

  @Override
  public void reload() {
    command("pg_ctl", 1, 30);
    if (pg.run() != PostgresRunState.RUNNING) {
      throw new PostgresException("pg_ctl reload failed: no server running");
    }
  }

  // ---------------------------------------------------------------- promote

  @Override
  public void promote(Duration timeout) {
    promote(timeout, s -> {});
  }

  @Override
  public void promote(Duration timeout, Consumer<LocalPostgresState> onWritable) {
    promote(timeout, () -> true, onWritable);
  }

  @Override
  public void promote(
      Duration timeout, BooleanSupplier mayPromote, Consumer<LocalPostgresState> onWritable) {
    command("pg_ctl", 50, 3_000);
    if (pg.runningReplica() && !mayPromote.getAsBoolean()) {
      throw new PromotionAbortedException("the leader lease lapsed before the promotion");
    }
    if (pg.runningReplica()) {
      long old = pg.promote();
      world.timelineCreated(pg.timeline(), member);
      syncHistoryFiles();
      world.trace(member + " promoted: timeline " + old + " -> " + pg.timeline());
      world.landed("promote");
    } else if (!pg.writable()) {
      throw new PostgresException(
          "pg_ctl promote failed: the server is " + pg.run().name().toLowerCase(Locale.ROOT));
    }
    // A running primary needs no promotion: the controller only rewrites its configuration.
    onWritable.accept(sample(true));
  }

  // ---------------------------------------------------------------- queries

  @Override
  public ReplicationSlots slots() {
    return NO_SLOTS;
  }

  // Slots are not modelled (use_slots is off in the simulation): a server without any.
  private static final ReplicationSlots NO_SLOTS =
      new ReplicationSlots() {
        @Override
        public Set<String> syncReplicationSlots(Set<String> members) {
          return Set.of();
        }

        @Override
        public Set<String> syncReplicationSlots(Set<String> members, Map<String, Long> cascading) {
          return Set.of();
        }

        @Override
        public Map<String, Long> slotPositions() {
          return Map.of();
        }

        @Override
        public void syncCascadingSlots(Set<String> members) {}

        @Override
        public List<LocalSlot> replicationSlots() {
          return List.of();
        }

        @Override
        public boolean dropReplicationSlot(String name) {
          return false;
        }

        @Override
        public void createPhysicalSlot(String name) {
          throw unsupported("slots().createPhysicalSlot", "replication slots");
        }

        @Override
        public void createLogicalSlot(String name, String database, String plugin) {
          throw unsupported("slots().createLogicalSlot", "replication slots");
        }

        @Override
        public void advancePhysicalSlot(String name, long lsn) {}

        @Override
        public boolean advanceLogicalSlot(String name, String database, long lsn) {
          return true;
        }

        @Override
        public long replayLsn() {
          return 0;
        }

        @Override
        public List<String> copyLogicalSlots(
            LeaderConnection leader, Map<String, List<String>> expected) {
          return List.of();
        }

        @Override
        public List<String> physicalSlots() {
          return List.of();
        }
      };

  @Override
  public Set<String> streamingStandbys() {
    if (!query(1, 5)) {
      throw new PostgresQueryException("pg_stat_replication: interrupted", null);
    }
    if (pg.run() != PostgresRunState.RUNNING) {
      throw new PostgresQueryException("pg_stat_replication: no server running", null);
    }
    Set<String> names = new TreeSet<>();
    world.standbysOf(member).forEach(s -> names.add(s.member()));
    return names;
  }

  @Override
  public void checkpoint() {
    if (!query(1, 30)) {
      throw new PostgresQueryException("CHECKPOINT: interrupted", null);
    }
    if (pg.run() != PostgresRunState.RUNNING) {
      throw new PostgresQueryException("CHECKPOINT: no server running", null);
    }
  }

  @Override
  public void probeTimeout(Duration bound) {
    // Queries of the model never hang.
  }

  // ---------------------------------------------------------------- time and checks

  /**
   * A command's time. Interrupted, it fails as a killed command does, with the interrupt flag set
   * again, and does not land.
   */
  private void command(String program, long minMillis, long maxMillis) {
    try {
      world.spend(minMillis, maxMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandTimeoutException(program, Duration.ZERO);
    }
  }

  /** A query's time; false when interrupted (the flag set again). */
  private boolean query(long minMillis, long maxMillis) {
    try {
      world.spend(minMillis, maxMillis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void requireEmpty(String what) {
    if (pg.run() != PostgresRunState.NO_DATA) {
      throw new PostgresSetupException(
          "cannot " + what + ": the data directory " + dataDir + " is not empty");
    }
  }

  private void requireData(String method) {
    if (pg.run() == PostgresRunState.NO_DATA) {
      throw new PostgresException(method + ": the data directory " + dataDir + " holds no cluster");
    }
  }

  /** The model of {@code leader}'s server, which must run to be copied from or compared with. */
  private PgModel running(LeaderConnection leader, String failure) {
    PgModel source = world.pg(leader.name());
    if (source == null || source.run() != PostgresRunState.RUNNING) {
      throw new PostgresException(failure + ": cannot connect to " + leader.name());
    }
    return source;
  }

  @Override
  public long reserveTimelines(Optional<Integer> timeline, long through) {
    List<Long> reserved = pg.reserveTimelines(through);
    syncHistoryFiles();
    if (!reserved.isEmpty()) {
      world.trace(member + " reserved timelines " + reserved);
    }
    return pg.nextTimeline();
  }

  private static UnsupportedOperationException unsupported(String method, String what) {
    return new UnsupportedOperationException(
        "ModelPostgres." + method + " is not in the simulated PostgreSQL: " + what);
  }

  // ---------------------------------------------------------------- timeline history files

  /**
   * Makes {@code pg_wal} hold the history file of every timeline of the model's lineage, as
   * PostgreSQL writes them, and no other: a promotion writes one, a clone or rewind takes the
   * source's, a standby fetches one when it follows its upstream onto a new timeline.
   */
  private void syncHistoryFiles() {
    Map<Path, String> expected = historyFiles();
    if (expected.equals(historyOnDisk)) {
      return;
    }
    Path walDir = dataDir.resolve("pg_wal");
    try {
      if (!expected.isEmpty()) {
        Files.createDirectories(walDir);
      }
      if (Files.isDirectory(walDir)) {
        List<Path> present;
        try (Stream<Path> files = Files.list(walDir)) {
          present =
              files
                  .filter(p -> p.getFileName().toString().matches("[0-9A-F]{8}\\.history"))
                  .toList();
        }
        for (Path p : present) {
          if (!expected.containsKey(p)) {
            Files.delete(p);
          }
        }
      }
      for (Map.Entry<Path, String> e : expected.entrySet()) {
        Path file = e.getKey();
        if (!Files.exists(file)
            || !Files.readString(file, StandardCharsets.UTF_8).equals(e.getValue())) {
          Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the timeline history files in " + walDir, e);
    }
    historyOnDisk = expected;
  }

  /**
   * The history file of each timeline from the second to the current one: the switches before it,
   * one line each (parent timeline, switch point, reason), a blank line between them.
   */
  private Map<Path, String> historyFiles() {
    Map<Path, String> files = new TreeMap<>();
    if (pg.run() == PostgresRunState.NO_DATA) {
      return files;
    }
    List<TimelineHistory.Entry> lineage = pg.lineage();
    List<Long> timelines = new ArrayList<>();
    lineage.forEach(e -> timelines.add(e.timeline()));
    timelines.add(pg.timeline());
    for (long tl : timelines) {
      StringBuilder text = new StringBuilder();
      for (TimelineHistory.Entry e : lineage) {
        if (e.timeline() < tl) {
          text.append(text.length() == 0 ? "" : "\n")
              .append(e.timeline())
              .append('\t')
              .append(lsn(e.switchLsn()))
              .append('\t')
              .append(e.reason())
              .append('\n');
        }
      }
      if (text.length() > 0) {
        files.put(TimelineHistoryFile.of(dataDir, tl), text.toString());
      }
    }
    // Placeholders (or files fetched from an upstream) past our timeline.
    for (long tl = pg.timeline() + 1; tl <= pg.newestHistory(); tl++) {
      files.put(TimelineHistoryFile.of(dataDir, tl), "# timeline " + tl + " is taken\n");
    }
    return files;
  }

  /** An LSN as PostgreSQL prints it: {@code X/X}. */
  private static String lsn(long lsn) {
    return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }
}
