package io.pgregent.postgres;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.OsUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The local PostgreSQL as the HA loop sees it: each method one action a decision may ask for,
 * bounded in time, and {@link #state()} a snapshot for the next decision. {@link
 * PostgresController} drives the real server; a simulation passes a model of one.
 */
public interface PostgresPort {

  PostgresSettings settings();

  PostgresBinaries binaries();

  OsUser osUser();

  Path dataDir();

  /** The postmaster's log file (stderr of the server). */
  Path logFile();

  /**
   * A snapshot of the local server. Bounded: even against a hung server it returns within about
   * {@code connectTimeout + 2 × queryTimeout} (getting a pooled connection, then the query), and
   * the snapshot then carries the error in {@link LocalPostgresState#queryError()}.
   */
  LocalPostgresState state();

  /** Whether a live postmaster owns the data directory. */
  boolean isRunning();

  /** {@code pg_controldata} of the data directory (works while stopped). */
  ControlData controlData();

  /**
   * Fails unless the data directory belongs to the cluster with {@code expected} system identifier
   * (the one in {@code /initialize}).
   */
  void verifySystemIdentifier(String expected);

  /**
   * Applies the cluster-wide configuration: rewrites {@code postgresql.conf} and reloads a running
   * server when it changed. Parameters that need a restart then show as {@link
   * LocalPostgresState#pendingRestart()}.
   *
   * @return whether {@code postgresql.conf} changed
   */
  boolean configure(DynamicPostgresConfig config);

  /**
   * Puts a reloaded local configuration in force: rewrites the files and reloads a running server
   * when they changed; what names the server or where it lives keeps its value (with a warning).
   * Called by the thread that runs the actions.
   *
   * @return whether anything changed
   */
  boolean reloadSettings(PostgresSettings fresh);

  /** {@code use_pg_rewind}: the cluster-wide value when set there, else the local one. */
  boolean usePgRewind();

  /** The parameters Regent writes with the current configuration. */
  Map<String, String> effectiveParameters();

  /**
   * The {@code synchronous_standby_names} the HA loop put in force, empty when the configuration's
   * value applies. Read back from {@code postgresql.conf} at start, so that an agent restarted
   * beside a running primary never drops it to asynchronous replication in passing.
   */
  Optional<String> synchronousStandbyNames();

  /**
   * Puts {@code synchronous_standby_names} in force: rewrites {@code postgresql.conf}, reloads a
   * running server and waits (up to {@code timeout}) until a session sees the value.
   *
   * @param value the value, or empty to hand the parameter back to the configuration
   * @return a running primary's WAL position once the value is in force, -1 otherwise
   */
  long setSynchronousStandbyNames(Optional<String> value, Duration timeout);

  /**
   * Creates a new cluster in an empty (or absent) data directory: {@code initdb} with {@code
   * bootstrap.initdb} (or the custom {@code bootstrap.method}), Regent's configuration files,
   * start, the replication and rewind roles, then {@code post_bootstrap}. Leaves a running primary.
   */
  void bootstrap();

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
  void createReplica(LeaderConnection leader, Duration timeout);

  /**
   * Whether {@code method} of {@code create_replica_methods} may create a replica with no leader to
   * clone from: a configured method marked {@code no_leader}, never basebackup.
   */
  boolean canCloneWithoutLeader(String method);

  /**
   * Makes this member a replica of {@code leader}: writes {@code standby.signal} and {@code
   * primary_conninfo}/{@code primary_slot_name}; a running replica reloads, a running primary is
   * stopped (fast) and started as a replica (a demotion), a stopped server is started.
   */
  void followLeader(LeaderConnection leader);

  /**
   * Keeps the cluster-wide configuration in force in {@code patroni.dynamic.json} in the data
   * directory, as Patroni does; nothing while there is no data directory yet.
   */
  void saveDynamicConfig(String json);

  /**
   * Sets the primary this standby cluster follows ({@code standby_cluster}), or none: a {@link
   * LeaderConnection} named {@link RemotePrimary#NAME} then stands for it, and every replica gets
   * its restore settings.
   */
  void standbyCluster(Optional<RemotePrimary> remote);

  /** The primary this standby cluster follows, as set by {@link #standbyCluster}. */
  Optional<RemotePrimary> remotePrimary();

  /**
   * Sends the WAL file of the last (shutdown) checkpoint to the archive with {@code
   * archive_command}, when archiving is on: a cluster demoted to a standby cluster leaves its final
   * WAL where the promoted remote standby can restore it, so it can follow that one without a
   * rewind. Returns whether it archived.
   */
  boolean archiveShutdownCheckpointWal();

  /**
   * Tells {@code on_role_change} this primary is demoted: it failed to start and its lock is handed
   * back (Patroni's role name for that case).
   */
  void announceDemoted();

  /**
   * Demotes a primary: stops it (fast, escalating) and, when {@code newLeader} is known, starts it
   * again as its replica; otherwise leaves it stopped, configured as a standby without upstream (so
   * that a later {@link #start()} cannot bring back a second primary).
   */
  void demote(Optional<LeaderConnection> newLeader);

  /**
   * Sets the {@code nostream} tag: a replica configured from now on does not stream, it recovers
   * from the archive only.
   */
  void nostream(boolean value);

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
  RewindOutcome rewind(LeaderConnection leader, Duration timeout);

  /**
   * Whether this stopped server's timeline diverged from {@code leader}'s, so that it cannot follow
   * it without pg_rewind ({@code pg_rewind --dry-run}: the data is not changed). Like {@link
   * #rewind}, it first finishes an unclean shutdown by crash recovery in single-user mode, rewrites
   * the configuration files and archives WAL still marked ready.
   */
  boolean rewindRequired(LeaderConnection leader, Duration timeout);

  /**
   * Replaces the data directory with a fresh clone of {@code leader} when the timelines diverged
   * and {@code remove_data_directory_on_diverged_timelines} allows it; otherwise fails, keeping the
   * data.
   */
  void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout);

  /**
   * Re-clones this replica from {@code leader}, as an operator asked (POST {@code /reinitialize}):
   * stops the server, empties the data directory, clones, starts as the leader's replica.
   */
  void reinitialize(LeaderConnection leader, Duration timeout);

  /**
   * Finishes the crash recovery of a stopped standby (as a standby without upstream), so that its
   * control data shows the timeline it reached rather than that of an old restartpoint. Does
   * nothing unless the server is stopped and its last shutdown as a standby was not clean.
   */
  void recoverCrashedStandby();

  /**
   * Starts the server with the current configuration and waits, at most {@code pg_ctl_timeout},
   * until it accepts connections. A postmaster already running on the data directory is adopted
   * instead (never a second one).
   */
  void start();

  /**
   * As {@link #start()}; a primary's data directory comes up as a standby without upstream unless
   * {@code mayBePrimary} still says so right before the server is started: the leader lease that
   * allowed the start may have lapsed while the agent was held up (a freeze between the decision
   * and the command).
   */
  void start(BooleanSupplier mayBePrimary);

  /**
   * Stops the server: {@code before_stop}, then the given mode, escalating smart → fast → immediate
   * when a step runs over {@code timeout}, and SIGKILL of the postmaster as the last resort.
   * Returns once the postmaster is gone.
   */
  void stop(StopMode mode, Duration timeout);

  /**
   * Stops the server at once (immediate shutdown), without {@code before_stop} or callbacks: the
   * lease that made it a writable primary is about to lapse. Safe to call from any thread, also
   * while another thread works on PostgreSQL; the postmaster is killed if it does not go within
   * {@code timeout}.
   */
  void emergencyStop(Duration timeout);

  /** Stops (fast) and starts again; calls {@code on_restart}. */
  void restart();

  /**
   * Stops (fast) and starts again; calls {@code on_restart}. A primary comes back as a primary only
   * if {@code mayStayPrimary} still says so once it is stopped (the leader lock may have been lost
   * meanwhile); otherwise it comes back as a standby without an upstream.
   */
  void restart(BooleanSupplier mayStayPrimary);

  /** Rewrites the configuration files and signals the server to reload them. */
  void reload();

  /**
   * Promotes this replica: {@code pre_promote} (a non-zero exit aborts with {@link
   * PromotionAbortedException}), {@code pg_ctl promote}, a bounded wait until it is writable, the
   * configuration rewritten for a primary, then a CHECKPOINT so the new timeline is visible to
   * pg_rewind and to replicas.
   */
  void promote(Duration timeout);

  /**
   * Promotes the standby: {@code pre_promote}, {@code pg_ctl promote}, then a wait until the server
   * accepts writes, at which point {@code onWritable} runs with the sample that showed it (health
   * checks turn to primary at once, before the configuration is rewritten and the checkpoint is
   * taken).
   */
  void promote(Duration timeout, Consumer<LocalPostgresState> onWritable);

  /**
   * As {@link #promote(Duration, Consumer)}, unless {@code mayPromote} says no right before {@code
   * pg_ctl promote}: then {@link PromotionAbortedException} and the server stays a standby (the
   * leader lease that allowed the promotion may have lapsed while the agent was held up).
   */
  void promote(
      Duration timeout, BooleanSupplier mayPromote, Consumer<LocalPostgresState> onWritable);

  /**
   * Makes the next promotion number its timeline past {@code through}: a placeholder history file
   * for each number after ours up to it that pg_wal lacks ({@link TimelineHistoryFile#reserve}).
   *
   * @param timeline ours as the caller last read it (empty: read it now); a number that moved on
   *     meanwhile gives the same answer, its history file being there
   * @return the number the next promotion takes: the first after ours without a history file
   */
  long reserveTimelines(Optional<Integer> timeline, long through);

  /** The replication slots of this server. */
  ReplicationSlots slots();

  /**
   * The application names of the standbys streaming from this server now ({@code
   * pg_stat_replication}, read directly: a standby leader's cascading standbys count too).
   */
  Set<String> streamingStandbys();

  /** Runs {@code CHECKPOINT} on the local server (bounded like the status queries). */
  void checkpoint();

  /**
   * How long a status query may take before the sample reports the server as not answering (the
   * login and the query each).
   */
  void probeTimeout(Duration bound);
}
