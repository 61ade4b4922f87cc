package io.pgregent.postgres;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

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
public final class PostgresController implements AutoCloseable {

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
    this.slots =
        new ReplicationSlots(new SlotManager(node, config), new SlotOperations(node, process));
    this.settingsReload = new SettingsReload(node, config);
  }

  public PostgresSettings settings() {
    return node.settings;
  }

  public PostgresBinaries binaries() {
    return node.binaries;
  }

  public OsUser osUser() {
    return node.runner.user();
  }

  public Path dataDir() {
    return node.dataDir;
  }

  /** The postmaster's log file (stderr of the server). */
  public Path logFile() {
    return node.logFile();
  }

  // ---------------------------------------------------------------- state

  /**
   * A snapshot of the local server. Bounded: even against a hung server it returns within about
   * {@code connectTimeout + 2 × queryTimeout} (getting a pooled connection, then the query), and
   * the snapshot then carries the error in {@link LocalPostgresState#queryError()}.
   */
  public LocalPostgresState state() {
    return node.state();
  }

  /** Whether a live postmaster owns the data directory. */
  public boolean isRunning() {
    return node.isRunning();
  }

  /** {@code pg_controldata} of the data directory (works while stopped). */
  public ControlData controlData() {
    return node.controlData();
  }

  /**
   * Fails unless the data directory belongs to the cluster with {@code expected} system identifier
   * (the one in {@code /initialize}).
   */
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

  /**
   * Applies the cluster-wide configuration: rewrites {@code postgresql.conf} and reloads a running
   * server when it changed. Parameters that need a restart then show as {@link
   * LocalPostgresState#pendingRestart()}.
   *
   * @return whether {@code postgresql.conf} changed
   */
  public boolean configure(DynamicPostgresConfig config) {
    return this.config.configure(config);
  }

  /**
   * Puts a reloaded local configuration in force: rewrites the files and reloads a running server
   * when they changed; what names the server or where it lives keeps its value (with a warning).
   * Called by the thread that runs the actions.
   *
   * @return whether anything changed
   */
  public boolean reloadSettings(PostgresSettings fresh) {
    return settingsReload.apply(fresh);
  }

  /** {@code use_pg_rewind}: the cluster-wide value when set there, else the local one. */
  public boolean usePgRewind() {
    return config.usePgRewind();
  }

  /** The parameters Regent writes with the current configuration. */
  public Map<String, String> effectiveParameters() {
    return config.effectiveParameters();
  }

  /**
   * The {@code synchronous_standby_names} the HA loop put in force, empty when the configuration's
   * value applies. Read back from {@code postgresql.conf} at start, so that an agent restarted
   * beside a running primary never drops it to asynchronous replication in passing.
   */
  public Optional<String> synchronousStandbyNames() {
    return config.synchronousStandbyNames();
  }

  /**
   * Puts {@code synchronous_standby_names} in force: rewrites {@code postgresql.conf}, reloads a
   * running server and waits (up to {@code timeout}) until a session sees the value.
   *
   * @param value the value, or empty to hand the parameter back to the configuration
   * @return a running primary's WAL position once the value is in force, -1 otherwise
   */
  public long setSynchronousStandbyNames(Optional<String> value, Duration timeout) {
    return config.setSynchronousStandbyNames(value, timeout);
  }

  // ---------------------------------------------------------------- bootstrap

  /**
   * Creates a new cluster in an empty (or absent) data directory: {@code initdb} with {@code
   * bootstrap.initdb} (or the custom {@code bootstrap.method}), Regent's configuration files,
   * start, the replication and rewind roles, then {@code post_bootstrap}. Leaves a running primary.
   */
  public void bootstrap() {
    bootstrapper.bootstrap();
  }

  // ---------------------------------------------------------------- replicas

  /**
   * Creates this member's data directory from {@code leader}: the {@code create_replica_methods} in
   * order, {@code basebackup} being {@code pg_basebackup} with streamed WAL as the replication
   * user; a failing custom method falls back to the next one and finally to basebackup. Writes the
   * standby configuration; does not start the server.
   *
   * <p>With no leader ({@code null}) only the methods marked {@code no_leader} run (a restore from
   * a backup), with an empty {@code --connstring}; the replica then has no upstream.
   *
   * @param leader the member to clone from, or null
   * @param timeout bound of each method
   */
  public void createReplica(LeaderConnection leader, Duration timeout) {
    replicas.createReplica(leader, timeout);
  }

  /**
   * Whether {@code method} of {@code create_replica_methods} may create a replica with no leader to
   * clone from: a configured method marked {@code no_leader}, never basebackup.
   */
  public boolean canCloneWithoutLeader(String method) {
    return replicas.canCloneWithoutLeader(method);
  }

  /**
   * Makes this member a replica of {@code leader}: writes {@code standby.signal} and {@code
   * primary_conninfo}/{@code primary_slot_name}; a running replica reloads, a running primary is
   * stopped (fast) and started as a replica (a demotion), a stopped server is started.
   */
  public void followLeader(LeaderConnection leader) {
    roles.followLeader(leader);
  }

  /**
   * Keeps the cluster-wide configuration in force in {@code patroni.dynamic.json} in the data
   * directory, as Patroni does; nothing while there is no data directory yet.
   */
  public void saveDynamicConfig(String json) {
    if (node.initialized()) {
      node.files.writeDynamicConfig(json);
    }
  }

  /**
   * Sets the primary this standby cluster follows ({@code standby_cluster}), or none: a {@link
   * LeaderConnection} named {@link RemotePrimary#NAME} then stands for it, and every replica gets
   * its restore settings.
   */
  public void standbyCluster(Optional<RemotePrimary> remote) {
    upstream.remote(remote.orElse(null));
  }

  /** The primary this standby cluster follows, as set by {@link #standbyCluster}. */
  public Optional<RemotePrimary> remotePrimary() {
    return Optional.ofNullable(upstream.remote());
  }

  /**
   * Sends the WAL file of the last (shutdown) checkpoint to the archive with {@code
   * archive_command}, when archiving is on: a cluster demoted to a standby cluster leaves its final
   * WAL where the promoted remote standby can restore it, so it can follow that one without a
   * rewind. Returns whether it archived.
   */
  public boolean archiveShutdownCheckpointWal() {
    return ShutdownWalArchiver.archive(node, config);
  }

  /**
   * Tells {@code on_role_change} this primary is demoted: it failed to start and its lock is handed
   * back (Patroni's role name for that case).
   */
  public void announceDemoted() {
    roles.announceDemoted();
  }

  /**
   * Demotes a primary: stops it (fast, escalating) and, when {@code newLeader} is known, starts it
   * again as its replica; otherwise leaves it stopped, configured as a standby without upstream (so
   * that a later {@link #start()} cannot bring back a second primary).
   */
  public void demote(Optional<LeaderConnection> newLeader) {
    roles.demote(newLeader);
  }

  /**
   * Sets the {@code nostream} tag: a replica configured from now on does not stream, it recovers
   * from the archive only.
   */
  public void nostream(boolean value) {
    upstream.nostream(value);
  }

  // ---------------------------------------------------------------- rewind

  /**
   * Rewinds this stopped former primary onto {@code leader}'s timeline with {@code pg_rewind} (as
   * the rewind user, after a CHECKPOINT on the leader; {@code --restore-target-wal} when a {@code
   * restore_command} is configured), then configures it as the leader's replica (not started). An
   * unclean shutdown is first finished by crash recovery in single-user mode. If pg_rewind fails,
   * the data directory is re-cloned only when {@code remove_data_directory_on_rewind_failure} is
   * set.
   *
   * @param timeout bound of pg_rewind (and of a re-clone)
   */
  public RewindOutcome rewind(LeaderConnection leader, Duration timeout) {
    return rewinder.rewind(leader, timeout);
  }

  /**
   * Whether this stopped server's timeline diverged from {@code leader}'s, so that it cannot follow
   * it without pg_rewind ({@code pg_rewind --dry-run}: the data is not changed). Like {@link
   * #rewind}, it first finishes an unclean shutdown by crash recovery in single-user mode, rewrites
   * the configuration files and archives WAL still marked ready.
   */
  public boolean rewindRequired(LeaderConnection leader, Duration timeout) {
    return rewinder.rewindRequired(leader, timeout);
  }

  /**
   * Replaces the data directory with a fresh clone of {@code leader} when the timelines diverged
   * and {@code remove_data_directory_on_diverged_timelines} allows it; otherwise fails, keeping the
   * data.
   */
  public void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout) {
    replicas.recloneOnDivergedTimelines(leader, timeout);
  }

  /**
   * Re-clones this replica from {@code leader}, as an operator asked (POST {@code /reinitialize}):
   * stops the server, empties the data directory, clones, starts as the leader's replica.
   */
  public void reinitialize(LeaderConnection leader, Duration timeout) {
    replicas.reinitialize(leader, timeout);
  }

  /**
   * Finishes the crash recovery of a stopped standby (as a standby without upstream), so that its
   * control data shows the timeline it reached rather than that of an old restartpoint. Does
   * nothing unless the server is stopped and its last shutdown as a standby was not clean.
   */
  public void recoverCrashedStandby() {
    process.recoverCrashedStandby();
  }

  // ---------------------------------------------------------------- process control

  /**
   * Starts the server with the current configuration and waits, at most {@code pg_ctl_timeout},
   * until it accepts connections. A postmaster already running on the data directory is adopted
   * instead (never a second one).
   */
  public void start() {
    // After a demotion that announced the replica role, the start is no news (no on_start).
    process.start(!roles.takeAnnouncedWhileStopped());
  }

  /**
   * Stops the server: {@code before_stop}, then the given mode, escalating smart → fast → immediate
   * when a step runs over {@code timeout}, and SIGKILL of the postmaster as the last resort.
   * Returns once the postmaster is gone.
   */
  public void stop(StopMode mode, Duration timeout) {
    process.stop(mode, timeout, true);
  }

  /**
   * Stops the server at once (immediate shutdown), without {@code before_stop} or callbacks: the
   * lease that made it a writable primary is about to lapse. Safe to call from any thread, also
   * while another thread works on PostgreSQL; the postmaster is killed if it does not go within
   * {@code timeout}.
   */
  public void emergencyStop(Duration timeout) {
    process.emergencyStop(timeout);
  }

  /** Stops (fast) and starts again; calls {@code on_restart}. */
  public void restart() {
    restart(() -> true);
  }

  /**
   * Stops (fast) and starts again; calls {@code on_restart}. A primary comes back as a primary only
   * if {@code mayStayPrimary} still says so once it is stopped (the leader lock may have been lost
   * meanwhile); otherwise it comes back as a standby without an upstream.
   */
  public void restart(BooleanSupplier mayStayPrimary) {
    process.restart(mayStayPrimary);
  }

  /** Rewrites the configuration files and signals the server to reload them. */
  public void reload() {
    process.reload();
  }

  // ---------------------------------------------------------------- promote

  /**
   * Promotes this replica: {@code pre_promote} (a non-zero exit aborts with {@link
   * PromotionAbortedException}), {@code pg_ctl promote}, a bounded wait until it is writable, the
   * configuration rewritten for a primary, then a CHECKPOINT so the new timeline is visible to
   * pg_rewind and to replicas.
   */
  public void promote(Duration timeout) {
    promote(timeout, pg -> {});
  }

  /**
   * Promotes the standby: {@code pre_promote}, {@code pg_ctl promote}, then a wait until the server
   * accepts writes, at which point {@code onWritable} runs with the sample that showed it (health
   * checks turn to primary at once, before the configuration is rewritten and the checkpoint is
   * taken).
   */
  public void promote(Duration timeout, Consumer<LocalPostgresState> onWritable) {
    roles.promote(timeout, onWritable);
  }

  // ---------------------------------------------------------------- slots

  /** The replication slots of this server. */
  public ReplicationSlots slots() {
    return slots;
  }

  /** A client for ad-hoc queries on the local server (bounded like the status queries). */
  public PostgresClient client() {
    return node.client;
  }

  /** Closes the JDBC pool and kills running callbacks; the server keeps running. */
  @Override
  public void close() {
    node.client.close();
    node.callbacks.close();
  }
}
