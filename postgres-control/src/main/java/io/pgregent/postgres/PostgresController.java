package io.pgregent.postgres;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the local PostgreSQL for the HA loop: each method is one action a decider may ask for,
 * bounded in time, and {@link #state()} is a snapshot for the next decision. Not thread-safe for
 * concurrent actions: one executor thread calls the actions; {@link #state()} may be called from
 * any thread.
 *
 * <p>Nothing in the data directory is deleted unless {@code
 * remove_data_directory_on_rewind_failure} (or {@code ..._on_diverged_timelines}) allows it, or the
 * files were written by a failed replica creation into a directory that was empty before it.
 *
 * <p>A facade: each concern lives in its own class ({@link ServerConfiguration}, {@link
 * ProcessControl}, {@link RoleChange}, {@link Bootstrapper}, {@link ReplicaCreator}, {@link
 * Rewinder}, {@link ReplicationSlots}, {@link ShutdownWalArchiver}), sharing the server's resources
 * through {@link LocalNode}.
 */
public final class PostgresController implements PostgresPort, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PostgresController.class);

  private final LocalNode node;
  private final ServerConfiguration config;
  private final ProcessControl process;
  private final RoleChange roles;
  private final Upstream upstream;
  private final Bootstrapper bootstrapper;
  private final ReplicaCreator replicas;
  private final Rewinder rewinder;
  private final ReplicationSlots slots;
  private final SettingsReload settingsReload;

  /**
   * Resolves the OS user and the binaries; fails at once on bad input.
   *
   * @param scheduler runs the periodic checks of bounded waits (owned by the caller)
   * @throws PostgresSetupException for a missing OS user or missing binaries
   */
  public PostgresController(PostgresSettings settings, ScheduledExecutorService scheduler) {
    this(
        settings,
        new CommandRunner(OsUser.resolve(settings.postgresUser())),
        scheduler,
        Optional.empty());
  }

  PostgresController(
      PostgresSettings settings,
      CommandRunner runner,
      ScheduledExecutorService scheduler,
      Optional<PostgresBinaries> binaries) {
    this.node = new LocalNode(settings, runner, scheduler, binaries);
    this.config = new ServerConfiguration(node);
    DataDirectory dataDirectory = new DataDirectory(node.dataDir, runner.user());
    this.process = new ProcessControl(node, config, dataDirectory);
    this.upstream = new Upstream(() -> node.settings, config);
    this.roles = new RoleChange(node, config, process, upstream);
    this.bootstrapper = new Bootstrapper(node, config, dataDirectory, process);
    this.replicas = new ReplicaCreator(node, config, dataDirectory, process, upstream);
    this.rewinder = new Rewinder(node, config, dataDirectory, process, upstream, replicas);
    this.slots = new ServerSlots(new SlotManager(node, config), new SlotOperations(node, process));
    this.settingsReload = new SettingsReload(node, config);
  }

  @Override
  public PostgresSettings settings() {
    return node.settings;
  }

  @Override
  public PostgresBinaries binaries() {
    return node.binaries;
  }

  @Override
  public OsUser osUser() {
    return node.runner.user();
  }

  @Override
  public Path dataDir() {
    return node.dataDir;
  }

  @Override
  public Path logFile() {
    return node.logFile();
  }

  // ---------------------------------------------------------------- state

  @Override
  public LocalPostgresState state() {
    return node.state();
  }

  @Override
  public boolean isRunning() {
    return node.isRunning();
  }

  @Override
  public ControlData controlData() {
    return node.controlData();
  }

  @Override
  public void verifySystemIdentifier(String expected) {
    String actual = controlData().systemIdentifier();
    if (!actual.equals(expected)) {
      throw new PostgresSetupException(
          "the data directory "
              + node.dataDir
              + " belongs to another cluster (system identifier "
              + actual
              + ", cluster '"
              + node.settings.scope()
              + "' has "
              + expected
              + "): point postgresql.data_dir at this cluster's data, or move that directory"
              + " away (Regent never deletes it)");
    }
  }

  // ---------------------------------------------------------------- configuration

  @Override
  public boolean configure(DynamicPostgresConfig config) {
    return this.config.configure(config);
  }

  @Override
  public boolean reloadSettings(PostgresSettings fresh) {
    return settingsReload.apply(fresh);
  }

  @Override
  public boolean usePgRewind() {
    return config.usePgRewind();
  }

  @Override
  public Map<String, String> effectiveParameters() {
    return config.effectiveParameters();
  }

  @Override
  public Optional<String> synchronousStandbyNames() {
    return config.synchronousStandbyNames();
  }

  @Override
  public long setSynchronousStandbyNames(Optional<String> value, Duration timeout) {
    return config.setSynchronousStandbyNames(value, timeout);
  }

  // ---------------------------------------------------------------- bootstrap

  @Override
  public void bootstrap() {
    bootstrapper.bootstrap();
  }

  // ---------------------------------------------------------------- replicas

  @Override
  public void createReplica(LeaderConnection leader, Duration timeout) {
    replicas.createReplica(leader, timeout);
  }

  @Override
  public boolean canCloneWithoutLeader(String method) {
    return replicas.canCloneWithoutLeader(method);
  }

  @Override
  public void followLeader(LeaderConnection leader) {
    roles.followLeader(leader);
  }

  @Override
  public void saveDynamicConfig(String json) {
    if (node.initialized()) {
      node.files.writeDynamicConfig(json);
    }
  }

  @Override
  public void standbyCluster(Optional<RemotePrimary> remote) {
    upstream.remote(remote.orElse(null));
  }

  @Override
  public Optional<RemotePrimary> remotePrimary() {
    return Optional.ofNullable(upstream.remote());
  }

  @Override
  public boolean archiveShutdownCheckpointWal() {
    return ShutdownWalArchiver.archive(node, config);
  }

  @Override
  public void announceDemoted() {
    roles.announceDemoted();
  }

  @Override
  public void demote(Optional<LeaderConnection> newLeader) {
    roles.demote(newLeader);
  }

  @Override
  public void nostream(boolean value) {
    upstream.nostream(value);
  }

  // ---------------------------------------------------------------- rewind

  @Override
  public RewindOutcome rewind(LeaderConnection leader, Duration timeout) {
    return rewinder.rewind(leader, timeout);
  }

  @Override
  public boolean rewindRequired(LeaderConnection leader, Duration timeout) {
    return rewinder.rewindRequired(leader, timeout);
  }

  @Override
  public void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout) {
    replicas.recloneOnDivergedTimelines(leader, timeout);
  }

  @Override
  public void reinitialize(LeaderConnection leader, Duration timeout) {
    replicas.reinitialize(leader, timeout);
  }

  @Override
  public void recoverCrashedStandby() {
    process.recoverCrashedStandby();
  }

  // ---------------------------------------------------------------- process control

  @Override
  public void start() {
    // After a demotion that announced the replica role, the start is no news (no on_start).
    process.start(!roles.takeAnnouncedWhileStopped());
  }

  @Override
  public void start(BooleanSupplier mayBePrimary) {
    process.start(!roles.takeAnnouncedWhileStopped(), mayBePrimary);
  }

  @Override
  public void stop(StopMode mode, Duration timeout) {
    process.stop(mode, timeout, true);
  }

  @Override
  public void emergencyStop(Duration timeout) {
    process.emergencyStop(timeout);
  }

  @Override
  public void restart() {
    restart(() -> true);
  }

  @Override
  public void restart(BooleanSupplier mayStayPrimary) {
    process.restart(mayStayPrimary);
  }

  @Override
  public void reload() {
    process.reload();
  }

  // ---------------------------------------------------------------- promote

  @Override
  public void promote(Duration timeout) {
    promote(timeout, pg -> {});
  }

  @Override
  public void promote(Duration timeout, Consumer<LocalPostgresState> onWritable) {
    roles.promote(timeout, () -> true, onWritable);
  }

  @Override
  public void promote(
      Duration timeout, BooleanSupplier mayPromote, Consumer<LocalPostgresState> onWritable) {
    roles.promote(timeout, mayPromote, onWritable);
  }

  // ---------------------------------------------------------------- slots

  @Override
  public ReplicationSlots slots() {
    return slots;
  }

  @Override
  public Set<String> streamingStandbys() {
    return new TreeSet<>(
        client()
            .queryStrings(
                "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'"));
  }

  @Override
  public long reserveTimelines(Optional<Integer> timeline, long through) {
    // A checkpoint's timeline may lag a standby's: the numbers between are our lineage's, whose
    // files are there and kept.
    long current =
        timeline
            .or(() -> state().timeline())
            .map(Integer::longValue)
            .orElseGet(() -> (long) controlData().checkpointTimeline());
    List<Long> written =
        TimelineHistoryFile.reserve(node.dataDir, current, through, node.runner.user());
    if (!written.isEmpty()) {
      log.info(
          "timelines {} are taken in the cluster: placeholder history files make the next"
              + " promotion number past them",
          written);
    }
    return TimelineHistoryFile.next(node.dataDir, current);
  }

  @Override
  public void checkpoint() {
    client().execute("CHECKPOINT");
  }

  @Override
  public void probeTimeout(Duration bound) {
    client().probeTimeout(bound);
  }

  /** A client for ad-hoc queries on the local server (bounded like the status queries). */
  public PostgresClient client() {
    return node.client;
  }

  @Override
  public void close() {
    node.client.close();
    node.callbacks.close();
  }
}
