package io.pgregent.postgres;

import io.pgregent.postgres.config.BootstrapMethod;
import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.ConfigFileWriter;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.ParameterCatalog;
import io.pgregent.postgres.config.ParameterMerger;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.ReplicaMethod;
import io.pgregent.postgres.config.StandbySettings;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.os.CommandRunner;
import io.pgregent.postgres.os.OsUser;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.PostgresQueryException;
import io.pgregent.postgres.status.ServerStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
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
 */
public final class PostgresController implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PostgresController.class);

  private final PostgresSettings settings;
  private final CommandRunner runner;
  private final PostgresBinaries binaries;
  private final ConfigFileWriter files;
  private final PostgresClient client;
  private final CallbackExecutor callbacks;
  private final ConditionWaiter waiter;
  private final ConditionWaiter promoteWaiter;
  private final Path dataDir;
  private volatile ParameterCatalog catalog;
  private volatile DynamicPostgresConfig dynamic = DynamicPostgresConfig.EMPTY;
  private volatile StandbySettings standby;

  /** A custom bootstrap's {@code recovery_conf}, in force until its recovery ends; else empty. */
  private volatile Map<String, String> bootstrapRecovery = Map.of();

  /** Tag {@code nostream}: a replica recovers from the archive only, without primary_conninfo. */
  private volatile boolean nostream;

  private volatile boolean expectRunning;
  private volatile Optional<String> synchronousStandbyNames;
  private final Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
    this.settings = settings;
    this.runner = runner;
    this.dataDir = settings.dataDir().toAbsolutePath().normalize();
    this.binaries =
        binaries.orElseGet(
            () ->
                PostgresBinariesResolver.system(runner)
                    .resolve(settings.binDir(), settings.binName()));
    this.files = new ConfigFileWriter(dataDir, runner.user());
    this.client =
        new PostgresClient(
            settings.localHost(),
            settings.port(),
            settings.localSocketDirectory().orElse(null),
            settings.superuser(),
            settings.connectTimeout(),
            settings.queryTimeout(),
            "regent-local-" + settings.name());
    this.callbacks = new CallbackExecutor(runner, settings.callbacks(), settings.scope());
    this.waiter = new ConditionWaiter(scheduler, Duration.ofMillis(100));
    this.promoteWaiter = new ConditionWaiter(scheduler, Duration.ofMillis(5));
    this.standby = readStandbySettings();
    this.synchronousStandbyNames = readConfLine("synchronous_standby_names");
    this.expectRunning = PostmasterPid.read(dataDir).map(PostmasterPid::isAlive).orElse(false);
  }

  public PostgresSettings settings() {
    return settings;
  }

  public PostgresBinaries binaries() {
    return binaries;
  }

  public OsUser osUser() {
    return runner.user();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The postmaster's log file (stderr of the server). */
  public Path logFile() {
    return dataDir.resolve("log").resolve("postmaster.log");
  }

  // ---------------------------------------------------------------- state

  /**
   * A snapshot of the local server. Bounded: even against a hung server it returns within about
   * {@code connectTimeout + 2 × queryTimeout} (getting a pooled connection, then the query), and
   * the snapshot then carries the error in {@link LocalPostgresState#queryError()}.
   */
  public LocalPostgresState state() {
    boolean initialized = Files.exists(dataDir.resolve("PG_VERSION"));
    Optional<PostmasterPid> pidFile = PostmasterPid.read(dataDir);
    boolean alive = pidFile.map(PostmasterPid::isAlive).orElse(false);
    if (!alive) {
      boolean stale = pidFile.isPresent();
      RunState rs = expectRunning || stale ? RunState.CRASHED : RunState.STOPPED;
      return new LocalPostgresState(
          rs, fileRole(initialized), 0, initialized, Optional.empty(), Optional.empty());
    }
    long pid = pidFile.get().pid();
    try {
      ServerStatus status = client.status();
      PostgresRole role = status.inRecovery() ? PostgresRole.REPLICA : PostgresRole.PRIMARY;
      return new LocalPostgresState(
          RunState.RUNNING, role, pid, initialized, Optional.of(status), Optional.empty());
    } catch (PostgresQueryException ex) {
      return new LocalPostgresState(
          RunState.RUNNING,
          fileRole(initialized),
          pid,
          initialized,
          Optional.empty(),
          Optional.of(ex.getMessage()));
    }
  }

  /** A running server as {@code status} shows it, without another query. */
  private LocalPostgresState runningState(ServerStatus status) {
    long pid = PostmasterPid.read(dataDir).map(PostmasterPid::pid).orElse(0L);
    return new LocalPostgresState(
        RunState.RUNNING,
        status.inRecovery() ? PostgresRole.REPLICA : PostgresRole.PRIMARY,
        pid,
        true,
        Optional.of(status),
        Optional.empty());
  }

  private PostgresRole fileRole(boolean initialized) {
    if (!initialized) {
      return PostgresRole.UNKNOWN;
    }
    return files.standbySignal() ? PostgresRole.REPLICA : PostgresRole.PRIMARY;
  }

  /** Whether a live postmaster owns the data directory. */
  public boolean isRunning() {
    return PostmasterPid.read(dataDir).map(PostmasterPid::isAlive).orElse(false);
  }

  /** {@code pg_controldata} of the data directory (works while stopped). */
  public ControlData controlData() {
    CommandResult r =
        runner.run(
            List.of(binaries.pgControldata().toString(), "-D", dataDir.toString()),
            Map.of("LC_ALL", "C"),
            settings.pgCtlTimeout());
    if (!r.succeeded()) {
      throw new PostgresException("pg_controldata failed: " + r.outputTail(5));
    }
    return ControlData.parse(r.output());
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
              + dataDir
              + " belongs to another cluster (system identifier "
              + actual
              + ", cluster '"
              + settings.scope()
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
    if (!config.equals(dynamic)) {
      warned.clear();
    }
    this.dynamic = config;
    if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
      return false;
    }
    boolean changed = writeConfig(settings.pgHba());
    if (changed && isRunning()) {
      reloadServer();
      callbacks.call(CallbackAction.ON_RELOAD, fileRole(true));
    }
    return changed;
  }

  /** {@code use_pg_rewind}: the cluster-wide value when set there, else the local one. */
  public boolean usePgRewind() {
    Boolean dynamicValue = dynamic.usePgRewind();
    return dynamicValue != null ? dynamicValue : settings.usePgRewind();
  }

  /** The parameters Regent writes with the current configuration. */
  public Map<String, String> effectiveParameters() {
    Map<String, String> p = ParameterMerger.merge(settings, dynamic, catalog(), this::warnOnce);
    synchronousStandbyNames.ifPresent(v -> p.put("synchronous_standby_names", v));
    return p;
  }

  /**
   * The {@code synchronous_standby_names} the HA loop put in force, empty when the configuration's
   * value applies. Read back from {@code postgresql.conf} at start, so that an agent restarted
   * beside a running primary never drops it to asynchronous replication in passing.
   */
  public Optional<String> synchronousStandbyNames() {
    return synchronousStandbyNames;
  }

  /**
   * Puts {@code synchronous_standby_names} in force: rewrites {@code postgresql.conf}, reloads a
   * running server and waits (up to {@code timeout}) until a session sees the value.
   *
   * @param value the value, or empty to hand the parameter back to the configuration
   * @return a running primary's WAL position once the value is in force, -1 otherwise
   */
  public long setSynchronousStandbyNames(Optional<String> value, Duration timeout) {
    Optional<String> previous = synchronousStandbyNames;
    synchronousStandbyNames = value;
    if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
      return -1;
    }
    writeConfig(settings.pgHba());
    if (!isRunning()) {
      return -1;
    }
    reloadServer();
    String expected =
        value.orElseGet(() -> effectiveParameters().getOrDefault("synchronous_standby_names", ""));
    long[] lsn = {-1};
    String[] seen = {null};
    boolean applied =
        waiter.await(
            () -> {
              String row =
                  client
                      .queryStrings(
                          "SELECT (CASE WHEN pg_is_in_recovery() THEN -1"
                              + " ELSE (pg_current_wal_lsn() - '0/0')::bigint END)::text"
                              + " || '|' || current_setting('synchronous_standby_names')")
                      .get(0);
              int bar = row.indexOf('|');
              seen[0] = row.substring(bar + 1);
              lsn[0] = Long.parseLong(row.substring(0, bar));
              return expected.equals(seen[0]);
            },
            timeout);
    if (!applied) {
      // Not known to be in force: report the old value, so that the change is made (and waited
      // for) again rather than taken as done.
      synchronousStandbyNames = previous;
      throw new PostgresException(
          "synchronous_standby_names not in force after reload: '" + seen[0] + "'");
    }
    return lsn[0];
  }

  private void warnOnce(String message) {
    if (warned.add(message)) {
      log.warn(message);
    }
  }

  private boolean writeConfig(List<String> pgHba) {
    writePgpass();
    Map<String, String> parameters = effectiveParameters();
    if (!bootstrapRecovery.isEmpty()) {
      parameters = new java.util.LinkedHashMap<>(parameters);
      parameters.putAll(bootstrapRecovery);
      if ("promote".equals(bootstrapRecovery.get("recovery_target_action"))) {
        // A hot standby refuses to recover WAL written with larger max_connections (and the
        // like) than ours; nobody queries it before the promotion anyway.
        parameters.put("hot_standby", "off");
      }
    }
    return files.write(parameters, standby, pgHba, settings.pgIdent());
  }

  private ParameterCatalog catalog() {
    ParameterCatalog c = catalog;
    if (c == null) {
      CommandResult r =
          runner.run(
              List.of(binaries.postgres().toString(), "--describe-config"),
              Map.of("LC_ALL", "C"),
              settings.pgCtlTimeout());
      if (!r.succeeded()) {
        throw new PostgresException("postgres --describe-config failed: " + r.outputTail(5));
      }
      c = ParameterCatalog.parseDescribeConfig(r.output());
      catalog = c;
    }
    return c;
  }

  /** The last FATAL line of a log tail, or "". */
  private static String lastFatal(String tail) {
    String last = "";
    for (String line : tail.split("\n")) {
      if (line.contains("FATAL:")) {
        last = line.strip();
      }
    }
    return last;
  }

  private Optional<String> readConfLine(String name) {
    Path conf = files.postgresqlConf();
    if (!Files.exists(conf)) {
      return Optional.empty();
    }
    try {
      for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
        if (line.startsWith(name + " = ")) {
          return Optional.of(unquote(line.substring(name.length() + 3)));
        }
      }
    } catch (IOException ex) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private StandbySettings readStandbySettings() {
    Path conf = files.postgresqlConf();
    if (!files.standbySignal()) {
      return null;
    }
    if (!Files.exists(conf)) {
      return new StandbySettings("", null);
    }
    try {
      String conninfo = null;
      String slot = null;
      for (String line : Files.readAllLines(conf, StandardCharsets.UTF_8)) {
        if (line.startsWith("primary_conninfo = ")) {
          conninfo = unquote(line.substring("primary_conninfo = ".length()));
        } else if (line.startsWith("primary_slot_name = ")) {
          slot = unquote(line.substring("primary_slot_name = ".length()));
        }
      }
      return new StandbySettings(conninfo == null ? "" : conninfo, slot);
    } catch (IOException ex) {
      return new StandbySettings("", null);
    }
  }

  private static String unquote(String v) {
    String s = v.strip();
    if (s.length() >= 2 && s.startsWith("'") && s.endsWith("'")) {
      s = s.substring(1, s.length() - 1).replace("''", "'").replace("\\\\", "\\");
    }
    return s;
  }

  private void writePgpass() {
    Path pgpass = settings.pgpass();
    StringBuilder sb = new StringBuilder();
    Set<Credentials> all = new LinkedHashSet<>();
    all.add(settings.replication());
    all.add(settings.rewindCredentials());
    all.add(settings.superuser());
    for (Credentials c : all) {
      if (c.password() != null) {
        sb.append("*:*:*:")
            .append(pgpassEscape(c.username()))
            .append(':')
            .append(pgpassEscape(c.password()))
            .append('\n');
      }
    }
    try {
      Path tmp = pgpass.resolveSibling(pgpass.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
      runner.user().chown(tmp);
      Files.move(
          tmp,
          pgpass,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ex) {
      throw new UncheckedIOException(
          "cannot write the password file " + pgpass + " (postgresql.pgpass)", ex);
    }
  }

  private static String pgpassEscape(String s) {
    return s.replace("\\", "\\\\").replace(":", "\\:");
  }

  // ---------------------------------------------------------------- bootstrap

  /**
   * Creates a new cluster in an empty (or absent) data directory: {@code initdb} with {@code
   * bootstrap.initdb} (or the custom {@code bootstrap.method}), Regent's configuration files,
   * start, the replication and rewind roles, then {@code post_bootstrap}. Leaves a running primary.
   */
  public void bootstrap() {
    prepareEmptyDataDir("bootstrap", settings.bootstrap().method() == null);
    // From here on everything in the data directory is this bootstrap's: a failure removes it,
    // so that a half-made cluster is never taken for an existing one.
    try {
      BootstrapMethod method = settings.bootstrap().method();
      if (method != null) {
        runCustomBootstrap(method);
      } else {
        initdb();
      }
      standby = null;
      List<String> hba =
          settings.bootstrap().pgHba().isEmpty() ? settings.pgHba() : settings.bootstrap().pgHba();
      writeConfig(hba);
      startInternal(true, hba);
      if (!bootstrapRecovery.isEmpty()) {
        awaitEndOfBootstrapRecovery();
      }
      createRoles();
      if (!settings.bootstrap().pgHba().isEmpty()) {
        writeConfig(settings.pgHba());
        reloadServer();
      }
      runPostBootstrap();
    } catch (RuntimeException ex) {
      bootstrapRecovery = Map.of();
      try {
        if (isRunning()) {
          stopInternal(StopMode.IMMEDIATE, settings.pgCtlTimeout(), false);
        }
        emptyDataDirectory();
      } catch (RuntimeException cleanupFailure) {
        ex.addSuppressed(cleanupFailure);
        throw new PostgresException(
            "bootstrap failed, and its data directory "
                + dataDir
                + " could not be cleaned up: remove its contents before bootstrapping again ("
                + ex.getMessage()
                + ")",
            ex);
      }
      throw new PostgresException(
          "bootstrap failed; PostgreSQL was stopped and what the bootstrap wrote to "
              + dataDir
              + " was removed ("
              + ex.getMessage()
              + ")",
          ex);
    }
    log.info("bootstrapped a new cluster in {}", dataDir);
  }

  private void initdb() {
    Path pwfile = null;
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(binaries.initdb().toString());
      cmd.add("--pgdata=" + dataDir);
      boolean userGiven = false;
      for (String opt : options(settings.bootstrap().initdb(), "bootstrap.initdb")) {
        userGiven |= opt.startsWith("--username") || opt.startsWith("-U");
        cmd.add(opt);
      }
      if (!userGiven) {
        cmd.add("--username=" + settings.superuser().username());
      }
      if (settings.superuser().password() != null) {
        pwfile =
            Files.createTempFile(
                "regent-initdb",
                ".pw",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(pwfile, settings.superuser().password() + "\n", StandardCharsets.UTF_8);
        runner.user().chown(pwfile);
        cmd.add("--pwfile=" + pwfile);
      }
      CommandResult r = runner.run(cmd, Map.of("LC_ALL", "C.UTF-8"), Duration.ofMinutes(5));
      if (!r.succeeded()) {
        throw new PostgresException("initdb failed: " + r.outputTail(10));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot write the initdb password file", ex);
    } finally {
      deleteQuietly(pwfile);
    }
  }

  private void runCustomBootstrap(BootstrapMethod method) {
    List<String> cmd = new ArrayList<>(CommandLine.split(method.command()));
    if (!method.noParams()) {
      cmd.add("--scope=" + settings.scope());
      cmd.add("--datadir=" + dataDir);
      method.extraParams().forEach((k, v) -> cmd.add("--" + k + "=" + v));
    }
    CommandResult r =
        runner.runScript(
            cmd, Map.of("PGPASSFILE", settings.pgpass().toString()), Duration.ofHours(1));
    if (!r.succeeded() || !Files.exists(dataDir.resolve("PG_VERSION"))) {
      throw new PostgresException(
          "bootstrap method '"
              + method.name()
              + "' failed (exit "
              + r.exitCode()
              + "): "
              + r.outputTail(10));
    }
    if (!method.recoveryConf().isEmpty()) {
      // Recovery (e.g. point in time, from the archive) runs to its end before the cluster is ours.
      deleteQuietly(dataDir.resolve("standby.signal"));
      bootstrapRecovery = method.recoveryConf();
      files.writeRecoverySignal();
    } else if (!method.keepExistingRecoveryConf()) {
      deleteQuietly(dataDir.resolve("standby.signal"));
      deleteQuietly(dataDir.resolve("recovery.signal"));
    }
  }

  /**
   * Waits, as long as the recovery takes, until the server started with a bootstrap's {@code
   * recovery_conf} leaves recovery (its {@code recovery_target_action} promotes it); then writes
   * the configuration without the recovery settings. A server that stops meanwhile (a target it
   * cannot reach, {@code shutdown} as the action) fails the bootstrap.
   */
  private void awaitEndOfBootstrapRecovery() {
    log.info("waiting for end of recovery after bootstrap");
    boolean[] stopped = {false};
    boolean ended =
        waiter.await(
            () -> {
              if (!isRunning()) {
                stopped[0] = true;
                return true;
              }
              try {
                return !client.status().inRecovery();
              } catch (PostgresQueryException ex) {
                return false;
              }
            },
            Duration.ofDays(1));
    if (stopped[0]) {
      throw new PostgresException(
          "PostgreSQL stopped during the recovery of the bootstrap: " + logTail(5));
    }
    if (!ended) {
      throw new PostgresException("the recovery of the bootstrap did not end");
    }
    bootstrapRecovery = Map.of();
    writeConfig(settings.pgHba());
    reloadServer();
  }

  private void createRoles() {
    Credentials su = settings.superuser();
    Credentials repl = settings.replication();
    Credentials rewind = settings.rewindCredentials();
    client.withConnection(
        c -> {
          try (var st = c.createStatement()) {
            st.execute("SET log_statement TO 'none'");
            st.execute("SET log_min_duration_statement TO -1");
            if (su.password() != null) {
              st.execute(roleSql(c, su, "SUPERUSER LOGIN"));
            }
            if (!repl.username().equals(su.username())) {
              st.execute(roleSql(c, repl, "REPLICATION LOGIN"));
            }
            if (!rewind.username().equals(su.username())
                && !rewind.username().equals(repl.username())) {
              st.execute(roleSql(c, rewind, "LOGIN"));
              String u = quoteIdent(rewind.username());
              st.execute(
                  "GRANT EXECUTE ON function pg_catalog.pg_ls_dir(text, boolean, boolean) TO " + u);
              st.execute(
                  "GRANT EXECUTE ON function pg_catalog.pg_stat_file(text, boolean) TO " + u);
              st.execute("GRANT EXECUTE ON function pg_catalog.pg_read_binary_file(text) TO " + u);
              st.execute(
                  "GRANT EXECUTE ON function pg_catalog.pg_read_binary_file(text, bigint, bigint,"
                      + " boolean) TO "
                      + u);
              if (binaries.majorVersion() >= 15) {
                st.execute("GRANT pg_checkpoint TO " + u);
              }
            }
          }
          return null;
        });
  }

  private static String roleSql(java.sql.Connection c, Credentials cred, String options)
      throws java.sql.SQLException {
    boolean exists;
    try (var ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      ps.setString(1, cred.username());
      try (var rs = ps.executeQuery()) {
        exists = rs.next();
      }
    }
    String sql =
        (exists ? "ALTER ROLE " : "CREATE ROLE ")
            + quoteIdent(cred.username())
            + " WITH "
            + options;
    if (cred.password() != null) {
      sql += " PASSWORD " + quoteLiteral(cred.password());
    }
    return sql;
  }

  static String quoteIdent(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  static String quoteLiteral(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String uriEncode(String v) {
    return java.net.URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private void runPostBootstrap() {
    String script = settings.bootstrap().postBootstrap();
    if (script == null || script.isBlank()) {
      return;
    }
    Credentials su = settings.superuser();
    // The superuser's local connection as the agent makes it: the socket directory or TCP with the
    // entry's TLS parameters.
    Optional<Path> socket = settings.localSocketDirectory();
    StringBuilder url =
        new StringBuilder("postgres://")
            .append(uriEncode(su.username()))
            .append('@')
            .append(socket.map(d -> uriEncode(d.toString())).orElse(settings.localHost()))
            .append(':')
            .append(settings.port())
            .append("/postgres");
    if (socket.isEmpty()) {
      char sep = '?';
      for (Map.Entry<String, String> e : su.parameters().entrySet()) {
        url.append(sep).append(e.getKey()).append('=').append(uriEncode(e.getValue()));
        sep = '&';
      }
    }
    List<String> cmd = new ArrayList<>(CommandLine.split(script));
    cmd.add(url.toString());
    CommandResult r =
        runner.runScript(
            cmd, Map.of("PGPASSFILE", settings.pgpass().toString()), Duration.ofHours(1));
    if (!r.succeeded()) {
      throw new PostgresException(
          "bootstrap.post_bootstrap '"
              + script
              + "' failed (exit "
              + r.exitCode()
              + "): "
              + r.outputTail(10));
    }
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
    prepareEmptyDataDir("create a replica");
    writePgpass();
    List<String> methods = new ArrayList<>(settings.createReplicaMethods());
    if (leader == null) {
      methods.removeIf(m -> !canCloneWithoutLeader(m));
    } else if (!methods.contains("basebackup")) {
      methods.add("basebackup");
    }
    List<String> failures = new ArrayList<>();
    for (String method : methods) {
      CommandResult r;
      try {
        r = runReplicaMethod(method, leader, timeout);
      } catch (PostgresException | UncheckedIOException ex) {
        r = new CommandResult(List.of(method), -1, ex.getMessage());
      }
      if (r.succeeded() && Files.exists(dataDir.resolve("PG_VERSION"))) {
        if (leader == null) {
          log.info("created the replica with {} without a leader", method);
          // A standby without an upstream: it never comes up as a primary by itself.
          standby = new StandbySettings("", null);
          writeConfig(settings.pgHba());
        } else {
          log.info("created the replica with {} from {}", method, leader.name());
          followConfig(leader);
        }
        deleteQuietly(dataDir.resolve("postmaster.pid"));
        return;
      }
      failures.add(method + ": " + r.outputTail(5));
      log.warn("replica method {} failed: {}", method, r.outputTail(5));
      emptyDataDirectory();
    }
    throw new PostgresException("could not create a replica: " + String.join("; ", failures));
  }

  /**
   * Whether {@code method} of {@code create_replica_methods} may create a replica with no leader to
   * clone from: a configured method marked {@code no_leader}, never basebackup.
   */
  public boolean canCloneWithoutLeader(String method) {
    ReplicaMethod rm = settings.replicaMethods().get(method);
    return !"basebackup".equals(method) && rm != null && rm.noLeader();
  }

  private CommandResult runReplicaMethod(String method, LeaderConnection leader, Duration timeout) {
    Map<String, String> env = Map.of("PGPASSFILE", settings.pgpass().toString());
    if ("basebackup".equals(method)) {
      List<String> cmd = new ArrayList<>();
      cmd.add(binaries.pgBasebackup().toString());
      cmd.add("--pgdata=" + dataDir);
      cmd.add("--wal-method=stream");
      cmd.add("--dbname=" + conninfo(leader, settings.replication(), false));
      cmd.add("--no-password");
      cmd.addAll(options(settings.basebackup(), "postgresql.basebackup"));
      return runner.run(cmd, env, timeout);
    }
    ReplicaMethod rm = settings.replicaMethods().get(method);
    if (rm == null) {
      throw new PostgresSetupException(
          "replica method '"
              + method
              + "' in postgresql.create_replica_methods has no postgresql."
              + method
              + ".command");
    }
    if (!rm.keepData()) {
      leaveDataDirToMethod();
    }
    List<String> cmd = new ArrayList<>(CommandLine.split(rm.command()));
    if (!rm.noParams()) {
      cmd.add("--scope=" + settings.scope());
      cmd.add("--role=replica");
      cmd.add("--datadir=" + dataDir);
      cmd.add(
          "--connstring="
              + (leader == null ? "" : conninfo(leader, settings.replication(), false)));
      rm.extraParams().forEach((k, v) -> cmd.add("--" + k + "=" + v));
    }
    return runner.runScript(cmd, env, timeout);
  }

  /**
   * Makes this member a replica of {@code leader}: writes {@code standby.signal} and {@code
   * primary_conninfo}/{@code primary_slot_name}; a running replica reloads, a running primary is
   * stopped (fast) and started as a replica (a demotion), a stopped server is started.
   */
  public void followLeader(LeaderConnection leader) {
    boolean running = isRunning();
    PostgresRole before = fileRole(true);
    followConfig(leader);
    if (!running) {
      start();
    } else if (before == PostgresRole.PRIMARY) {
      stopInternal(StopMode.FAST, settings.pgCtlTimeout(), false);
      startInternal(false);
    } else {
      reloadServer();
    }
    if (before != PostgresRole.REPLICA) {
      callbacks.call(CallbackAction.ON_ROLE_CHANGE, PostgresRole.REPLICA);
    }
  }

  /**
   * Tells {@code on_role_change} this primary is demoted: it failed to start and its lock is handed
   * back (Patroni's role name for that case).
   */
  public void announceDemoted() {
    callbacks.call(CallbackAction.ON_ROLE_CHANGE, "demoted");
  }

  /**
   * Demotes a primary: stops it (fast, escalating) and, when {@code newLeader} is known, starts it
   * again as its replica; otherwise leaves it stopped, configured as a standby without upstream (so
   * that a later {@link #start()} cannot bring back a second primary).
   */
  public void demote(Optional<LeaderConnection> newLeader) {
    stopInternal(StopMode.FAST, settings.pgCtlTimeout(), true);
    if (newLeader.isPresent()) {
      followConfig(newLeader.get());
      startInternal(false);
    } else {
      // A standby without an upstream: a later start() never comes up as a second primary.
      standby = new StandbySettings("", null);
      writeConfig(settings.pgHba());
    }
    callbacks.call(CallbackAction.ON_ROLE_CHANGE, PostgresRole.REPLICA);
  }

  private void followConfig(LeaderConnection leader) {
    if (nostream) {
      // WAL comes from the archive (restore_command) only.
      standby = new StandbySettings("", null);
    } else {
      String slot = dynamic.useSlots() ? SlotNames.forMember(settings.name()) : null;
      standby = new StandbySettings(conninfo(leader, settings.replication(), false), slot);
    }
    writeConfig(settings.pgHba());
  }

  /**
   * Sets the {@code nostream} tag: a replica configured from now on does not stream, it recovers
   * from the archive only.
   */
  public void nostream(boolean value) {
    nostream = value;
  }

  /** A libpq connection string to {@code to} (no password: libpq reads the passfile). */
  String conninfo(LeaderConnection to, Credentials cred, boolean withDbname) {
    StringBuilder sb = new StringBuilder();
    sb.append("host=").append(conninfoValue(to.host()));
    sb.append(" port=").append(to.port());
    sb.append(" user=").append(conninfoValue(cred.username()));
    sb.append(" passfile=").append(conninfoValue(settings.pgpass().toString()));
    sb.append(" application_name=").append(conninfoValue(settings.name()));
    cred.parameters()
        .forEach((k, v) -> sb.append(' ').append(k).append('=').append(conninfoValue(v)));
    if (withDbname) {
      sb.append(" dbname=postgres");
    }
    return sb.toString();
  }

  private static String conninfoValue(String v) {
    if (!v.isEmpty() && v.chars().noneMatch(c -> c == ' ' || c == '\'' || c == '\\')) {
      return v;
    }
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  // ---------------------------------------------------------------- rewind

  /** What {@link #rewind} did. */
  public enum RewindOutcome {
    /** The timelines had not diverged: nothing was changed besides the configuration. */
    NOT_NEEDED,
    REWOUND,
    RECLONED
  }

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
    if (!usePgRewind()) {
      throw new PostgresSetupException(
          "pg_rewind is not enabled: set postgresql.use_pg_rewind (locally or in the cluster-wide"
              + " configuration), or allow re-cloning with"
              + " postgresql.remove_data_directory_on_diverged_timelines");
    }
    prepareRewind(leader);
    List<String> cmd = pgRewindCommand(leader, false);
    CommandResult r;
    try {
      r = runner.run(cmd, Map.of("PGPASSFILE", settings.pgpass().toString()), timeout);
    } catch (PostgresException ex) {
      r = new CommandResult(cmd, -1, ex.getMessage());
    }
    if (r.succeeded() && r.output().contains("no rewind required")) {
      log.info("no rewind onto {} required", leader.name());
      followConfig(leader);
      return RewindOutcome.NOT_NEEDED;
    }
    if (r.succeeded()) {
      log.info("pg_rewind onto {} done", leader.name());
      followConfig(leader);
      return RewindOutcome.REWOUND;
    }
    if (!settings.removeDataDirectoryOnRewindFailure()) {
      throw new PostgresException(
          "pg_rewind failed (exit "
              + r.exitCode()
              + "): "
              + r.outputTail(5)
              + " -- the data directory is kept; set"
              + " postgresql.remove_data_directory_on_rewind_failure to re-clone instead");
    }
    log.warn(
        "pg_rewind failed, re-cloning (remove_data_directory_on_rewind_failure): {}",
        r.outputTail(3));
    removeDataDirectory("remove_data_directory_on_rewind_failure");
    createReplica(leader, timeout);
    return RewindOutcome.RECLONED;
  }

  /**
   * Whether this stopped server's timeline diverged from {@code leader}'s, so that it cannot follow
   * it without pg_rewind ({@code pg_rewind --dry-run}: the data is not changed). Like {@link
   * #rewind}, it first finishes an unclean shutdown by crash recovery in single-user mode, rewrites
   * the configuration files and archives WAL still marked ready.
   */
  public boolean rewindRequired(LeaderConnection leader, Duration timeout) {
    prepareRewind(leader);
    List<String> cmd = pgRewindCommand(leader, true);
    CommandResult r = runner.run(cmd, Map.of("PGPASSFILE", settings.pgpass().toString()), timeout);
    if (!r.succeeded()) {
      throw new PostgresException("pg_rewind --dry-run failed: " + r.outputTail(5));
    }
    return !r.output().contains("no rewind required");
  }

  private void prepareRewind(LeaderConnection leader) {
    if (isRunning()) {
      throw new PostgresException("pg_rewind needs a stopped server: stop it first");
    }
    if (!controlData().cleanShutdown()) {
      finishCrashRecovery();
    }
    writeConfig(settings.pgHba());
    archiveReadyWal();
    try {
      PostgresClient.once(
          leader.host(),
          leader.port(),
          settings.rewindCredentials(),
          settings.connectTimeout(),
          settings.pgCtlTimeout(),
          c -> {
            try (var st = c.createStatement()) {
              st.execute("CHECKPOINT");
            }
            return null;
          });
    } catch (PostgresQueryException ex) {
      log.warn("CHECKPOINT on {} before pg_rewind failed: {}", leader.name(), ex.getMessage());
    }
  }

  /**
   * Archives the WAL segments still marked {@code .ready} with the configured {@code
   * archive_command} (as Patroni does before pg_rewind), so that WAL only this former primary has
   * is not lost when pg_rewind removes it. Does nothing unless {@code archive_mode} is on.
   */
  void archiveReadyWal() {
    String mode = serverSetting("archive_mode");
    String command = serverSetting("archive_command");
    if (!(mode.equals("on") || mode.equals("always"))
        || command.isBlank()
        || command.equals("(disabled)")) {
      return;
    }
    Path statusDir = dataDir.resolve("pg_wal").resolve("archive_status");
    List<String> ready;
    try (Stream<Path> s = Files.list(statusDir)) {
      ready =
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.matches("[0-9A-F]{24}(\\.partial)?\\.ready"))
              .map(n -> n.substring(0, n.length() - ".ready".length()))
              .sorted()
              .toList();
    } catch (IOException ex) {
      log.warn("cannot list {}: {}", statusDir, ex.getMessage());
      return;
    }
    for (String wal : ready) {
      if (!Files.isRegularFile(dataDir.resolve("pg_wal").resolve(wal))) {
        continue;
      }
      String cmd =
          command
              .replace("%%", "\u0000")
              .replace("%p", "pg_wal/" + wal)
              .replace("%f", wal)
              .replace("\u0000", "%");
      CommandResult r =
          runner.run(
              List.of("sh", "-c", "cd " + shellQuote(dataDir.toString()) + " && " + cmd),
              Map.of(),
              settings.pgCtlTimeout());
      if (!r.succeeded()) {
        log.warn("archiving {} before pg_rewind failed: {}", wal, r.outputTail(3));
        return;
      }
      try {
        Path readyFile = statusDir.resolve(wal + ".ready");
        Path doneFile = statusDir.resolve(wal + ".done");
        Files.move(readyFile, doneFile);
        runner.user().chown(doneFile);
      } catch (IOException ex) {
        log.warn("cannot mark {} archived: {}", wal, ex.getMessage());
      }
      log.info("archived {} before pg_rewind", wal);
    }
  }

  /** A setting as the stopped server would read it ({@code postgres -C}). */
  private String serverSetting(String name) {
    CommandResult r =
        runner.run(
            List.of(binaries.postgres().toString(), "-D", dataDir.toString(), "-C", name),
            Map.of("LC_ALL", "C"),
            settings.pgCtlTimeout());
    return r.succeeded() ? r.output().strip() : "";
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private List<String> pgRewindCommand(LeaderConnection leader, boolean dryRun) {
    List<String> cmd = new ArrayList<>();
    cmd.add(binaries.pgRewind().toString());
    cmd.add("--target-pgdata=" + dataDir);
    cmd.add("--source-server=" + conninfo(leader, settings.rewindCredentials(), true));
    if (binaries.majorVersion() >= 13 && restoreCommandConfigured()) {
      cmd.add("--restore-target-wal");
    }
    if (dryRun) {
      cmd.add("--dry-run");
    }
    return cmd;
  }

  /**
   * Replaces the data directory with a fresh clone of {@code leader} when the timelines diverged
   * and {@code remove_data_directory_on_diverged_timelines} allows it; otherwise fails, keeping the
   * data.
   */
  public void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout) {
    if (!settings.removeDataDirectoryOnDivergedTimelines()) {
      throw new PostgresSetupException(
          "the timelines of this member and "
              + leader.name()
              + " diverged; the data directory is kept: enable postgresql.use_pg_rewind or"
              + " postgresql.remove_data_directory_on_diverged_timelines");
    }
    if (isRunning()) {
      stopInternal(StopMode.FAST, settings.pgCtlTimeout(), true);
    }
    removeDataDirectory("remove_data_directory_on_diverged_timelines");
    createReplica(leader, timeout);
  }

  /**
   * Re-clones this replica from {@code leader}, as an operator asked (POST {@code /reinitialize}):
   * stops the server, empties the data directory, clones, starts as the leader's replica.
   */
  public void reinitialize(LeaderConnection leader, Duration timeout) {
    if (isRunning()) {
      stopInternal(StopMode.FAST, settings.pgCtlTimeout(), true);
    }
    removeDataDirectory("a reinitialize request");
    createReplica(leader, timeout);
    start();
  }

  private boolean restoreCommandConfigured() {
    return effectiveParameters().keySet().stream()
        .anyMatch(k -> k.equalsIgnoreCase("restore_command"));
  }

  private void finishCrashRecovery() {
    if (controlData().clusterState().equals("in archive recovery")) {
      finishStandbyCrashRecovery();
      return;
    }
    log.info(
        "the last shutdown of {} was not clean: running crash recovery in single-user mode",
        dataDir);
    StandbySettings keep = standby;
    standby = null;
    writeConfig(settings.pgHba());
    try {
      List<String> cmd =
          List.of(
              binaries.postgres().toString(),
              "--single",
              "-D",
              dataDir.toString(),
              "-c",
              "archive_mode=off",
              "-c",
              "archive_command=false",
              "postgres");
      CommandResult r = runner.run(cmd, Map.of(), settings.pgCtlTimeout());
      if (!r.succeeded()) {
        throw new PostgresException(
            "crash recovery in single-user mode failed: " + r.outputTail(5));
      }
    } finally {
      standby = keep;
    }
  }

  /**
   * A standby that crashed recovers as a standby without upstream (replaying only its own WAL) and
   * stops cleanly. Single-user mode would end recovery and write a checkpoint into the timeline it
   * shares with the leader: WAL the leader has at those positions would then be skipped on replay,
   * and commits the leader counted as flushed there would be missing.
   */
  /**
   * Finishes the crash recovery of a stopped standby (as a standby without upstream), so that its
   * control data shows the timeline it reached rather than that of an old restartpoint. Does
   * nothing unless the server is stopped and its last shutdown as a standby was not clean.
   */
  public void recoverCrashedStandby() {
    if (!isRunning() && controlData().clusterState().equals("in archive recovery")) {
      finishStandbyCrashRecovery();
    }
  }

  private void finishStandbyCrashRecovery() {
    log.info(
        "the last shutdown of standby {} was not clean: running crash recovery as a standby"
            + " without upstream",
        dataDir);
    StandbySettings keep = standby;
    standby = new StandbySettings("", null);
    try {
      startInternal(false);
    } finally {
      try {
        stopInternal(StopMode.FAST, settings.pgCtlTimeout(), false);
      } finally {
        standby = keep;
        writeConfig(settings.pgHba());
      }
    }
  }

  // ---------------------------------------------------------------- process control

  /**
   * Starts the server with the current configuration and waits, at most {@code pg_ctl_timeout},
   * until it accepts connections. A postmaster already running on the data directory is adopted
   * instead (never a second one).
   */
  public void start() {
    startInternal(true, settings.pgHba());
  }

  private void startInternal(boolean callback) {
    startInternal(callback, settings.pgHba());
  }

  private void startInternal(boolean callback, List<String> pgHba) {
    checkDataDirectory();
    Optional<PostmasterPid> pid = PostmasterPid.read(dataDir);
    if (pid.isPresent() && pid.get().isAlive()) {
      log.info("adopting the running postmaster (pid {}) of {}", pid.get().pid(), dataDir);
      expectRunning = true;
      return;
    }
    checkPortFree();
    writeConfig(pgHba);
    try {
      Path logDir = logFile().getParent();
      Files.createDirectories(logDir);
      runner.user().chown(logDir);
      createSocketDirectories();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot create " + logFile().getParent(), ex);
    }
    Duration timeout = settings.pgCtlTimeout();
    List<String> cmd =
        List.of(
            binaries.pgCtl().toString(),
            "start",
            "-D",
            dataDir.toString(),
            "-l",
            logFile().toString(),
            "-w",
            "-t",
            Long.toString(Math.max(1, timeout.toSeconds())));
    CommandResult r;
    try {
      r = runner.run(cmd, Map.of(), timeout.plusSeconds(5));
    } catch (PostgresException ex) {
      r = new CommandResult(cmd, -1, ex.getMessage());
    }
    if (!r.succeeded()) {
      // pg_ctl gives up waiting but leaves a slow postmaster running: remember it.
      expectRunning = isRunning();
      String tail = logTail(15);
      if (tail.contains("could not bind") || tail.contains("Address already in use")) {
        throw new PostgresSetupException(
            "PostgreSQL cannot listen on "
                + settings.listen()
                + ": the port is in use by another process; change the port in postgresql.listen"
                + " or stop that process");
      }
      if (lastFatal(tail).contains("lock file \"postmaster.pid\" already exists")) {
        throw new PostmasterStillPresentException(
            "PostgreSQL did not start: the previous postmaster of "
                + dataDir
                + " has not gone yet (try again shortly): "
                + lastFatal(tail));
      }
      throw new PostgresException(
          "PostgreSQL did not start within "
              + timeout.toSeconds()
              + " s: "
              + r.outputTail(3)
              + "\n"
              + tail);
    }
    expectRunning = true;
    client.reset();
    boolean accepting =
        waiter.await(
            () -> {
              try {
                client.execute("SELECT 1");
              } catch (PostgresQueryException ex) {
                // An authentication or authorization error comes from a server that answers.
                if (!(ex.getCause() instanceof java.sql.SQLException sql)
                    || sql.getSQLState() == null
                    || !sql.getSQLState().startsWith("28")) {
                  throw ex;
                }
                warnOnce("PostgreSQL runs but refuses Regent's superuser: " + ex.getMessage());
              }
              return true;
            },
            timeout);
    if (!accepting) {
      throw new PostgresException(
          "PostgreSQL started but does not accept connections within "
              + timeout.toSeconds()
              + " s: "
              + logTail(5));
    }
    if (callback) {
      callbacks.call(CallbackAction.ON_START, fileRole(true));
    }
  }

  /**
   * Stops the server: {@code before_stop}, then the given mode, escalating smart → fast → immediate
   * when a step runs over {@code timeout}, and SIGKILL of the postmaster as the last resort.
   * Returns once the postmaster is gone.
   */
  public void stop(StopMode mode, Duration timeout) {
    stopInternal(mode, timeout, true);
  }

  /**
   * Stops the server at once (immediate shutdown), without {@code before_stop} or callbacks: the
   * lease that made it a writable primary is about to lapse. Safe to call from any thread, also
   * while another thread works on PostgreSQL; the postmaster is killed if it does not go within
   * {@code timeout}.
   */
  public void emergencyStop(Duration timeout) {
    Optional<PostmasterPid> pid = PostmasterPid.read(dataDir).filter(PostmasterPid::isAlive);
    expectRunning = false;
    if (pid.isEmpty()) {
      return;
    }
    shutDown(pid.get(), StopMode.IMMEDIATE, timeout);
  }

  private void stopInternal(StopMode mode, Duration timeout, boolean callback) {
    Optional<PostmasterPid> pid = PostmasterPid.read(dataDir).filter(PostmasterPid::isAlive);
    expectRunning = false;
    if (pid.isEmpty()) {
      return;
    }
    PostgresRole role = fileRole(true);
    runBeforeStop(timeout);
    shutDown(pid.get(), mode, timeout);
    if (callback) {
      callbacks.call(CallbackAction.ON_STOP, role);
    }
  }

  private void shutDown(PostmasterPid pid, StopMode mode, Duration timeout) {
    client.reset();
    for (StopMode m : mode.escalation()) {
      List<String> cmd =
          List.of(
              binaries.pgCtl().toString(),
              "stop",
              "-D",
              dataDir.toString(),
              "-m",
              m.pgCtlName(),
              "-w",
              "-t",
              Long.toString(Math.max(1, timeout.toSeconds())));
      try {
        CommandResult r = runner.run(cmd, Map.of(), timeout.plusSeconds(5));
        if (r.succeeded() && !pid.isAlive()) {
          break;
        }
        log.warn("pg_ctl stop -m {} did not stop PostgreSQL: {}", m.pgCtlName(), r.outputTail(2));
      } catch (PostgresException ex) {
        log.warn("pg_ctl stop -m {} failed: {}", m.pgCtlName(), ex.getMessage());
      }
    }
    if (pid.isAlive()) {
      log.warn("killing the postmaster (pid {}) after the immediate stop timed out", pid.pid());
      ProcessHandle.of(pid.pid()).ifPresent(ProcessHandle::destroyForcibly);
      awaitExit(pid.pid(), timeout);
    }
  }

  private static void awaitExit(long pid, Duration timeout) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty()) {
      return;
    }
    try {
      h.get().onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException ex) {
      log.warn("pid {} still alive after {} ms", pid, timeout.toMillis());
    }
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
  public void restart(java.util.function.BooleanSupplier mayStayPrimary) {
    PostgresRole role = fileRole(true);
    stopInternal(StopMode.FAST, settings.pgCtlTimeout(), false);
    if (role == PostgresRole.PRIMARY && !mayStayPrimary.getAsBoolean()) {
      log.warn("the leader lock was lost during the restart: starting as a standby");
      standby = new StandbySettings("", null);
      writeConfig(settings.pgHba());
    }
    startInternal(false);
    callbacks.call(CallbackAction.ON_RESTART, role);
  }

  /** Rewrites the configuration files and signals the server to reload them. */
  public void reload() {
    writeConfig(settings.pgHba());
    reloadServer();
    callbacks.call(CallbackAction.ON_RELOAD, fileRole(true));
  }

  private void reloadServer() {
    CommandResult r =
        runner.run(
            List.of(binaries.pgCtl().toString(), "reload", "-D", dataDir.toString()),
            Map.of(),
            settings.pgCtlTimeout());
    if (!r.succeeded()) {
      throw new PostgresException("pg_ctl reload failed: " + r.outputTail(3));
    }
  }

  private void runBeforeStop(Duration timeout) {
    String script = settings.beforeStop();
    if (script == null || script.isBlank()) {
      return;
    }
    try {
      CommandResult r = runner.runScript(CommandLine.split(script), Map.of(), timeout);
      if (!r.succeeded()) {
        log.warn("before_stop exited with {}: {}", r.exitCode(), r.outputTail(3));
      }
    } catch (PostgresException ex) {
      log.warn("before_stop: {}", ex.getMessage());
    }
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
    String prePromote = settings.prePromote();
    if (prePromote != null && !prePromote.isBlank()) {
      CommandResult r;
      try {
        r = runner.runScript(CommandLine.split(prePromote), Map.of(), timeout);
      } catch (PostgresException ex) {
        throw new PromotionAbortedException("pre_promote did not finish: " + ex.getMessage());
      }
      if (!r.succeeded()) {
        throw new PromotionAbortedException(
            "pre_promote exited with " + r.exitCode() + ": " + r.outputTail(3));
      }
    }
    ServerStatus before = client.status();
    if (before.inRecovery()) {
      List<String> cmd =
          List.of(binaries.pgCtl().toString(), "promote", "-D", dataDir.toString(), "-W");
      CommandResult r = runner.run(cmd, Map.of(), timeout.plusSeconds(5));
      if (!r.succeeded()) {
        throw new PostgresException("pg_ctl promote failed: " + r.outputTail(3));
      }
      // Polled closely with the full status sample, and handed on from the check itself: write-
      // routing health checks wait for this answer, so no second query and no thread hand-off.
      boolean writable =
          promoteWaiter.await(
              () -> {
                ServerStatus now = client.status();
                if (now.inRecovery()) {
                  return false;
                }
                onWritable.accept(runningState(now));
                return true;
              },
              timeout);
      if (!writable) {
        throw new PostgresException(
            "PostgreSQL was promoted but is not writable within " + timeout.toSeconds() + " s");
      }
      standby = null;
    } else {
      standby = null;
      onWritable.accept(state());
    }
    writeConfig(settings.pgHba());
    reloadServer();
    PostgresClient.once(
        settings.localHost(),
        settings.port(),
        settings.localSocketDirectory().orElse(null),
        settings.superuser(),
        settings.connectTimeout(),
        timeout,
        c -> {
          try (var st = c.createStatement()) {
            st.execute("CHECKPOINT");
          }
          return null;
        });
    callbacks.call(CallbackAction.ON_ROLE_CHANGE, PostgresRole.PRIMARY);
  }

  // ---------------------------------------------------------------- slots

  /**
   * On a primary: creates the physical slot of every other member in {@code members} plus the
   * permanent physical slots, and drops inactive physical slots that are neither (Patroni's slot
   * management). Does nothing on a replica or when {@code use_slots} is off.
   *
   * @return the slot names that should exist
   */
  public Set<String> syncReplicationSlots(Set<String> members) {
    return syncReplicationSlots(members, Map.of());
  }

  /**
   * As {@link #syncReplicationSlots(Set)}; the slots of members that stream from another member
   * ({@code cascading}: member name to the WAL position it reports) are not used here, so they are
   * moved on to that position, keeping no WAL those members already have.
   */
  public Set<String> syncReplicationSlots(Set<String> members, Map<String, Long> cascading) {
    Set<String> desired = new LinkedHashSet<>();
    if (!dynamic.useSlots()) {
      return desired;
    }
    String self = SlotNames.forMember(settings.name());
    members.stream().map(SlotNames::forMember).filter(s -> !s.equals(self)).forEach(desired::add);
    desired.addAll(dynamic.permanentPhysicalSlots());
    // One round trip per HA cycle: a single NULL row on a standby, else the physical slots.
    List<String> existing =
        client.queryStrings(
            "SELECT slot_name FROM pg_replication_slots"
                + " WHERE slot_type = 'physical' AND NOT pg_is_in_recovery()"
                + " UNION ALL SELECT NULL WHERE pg_is_in_recovery()");
    if (existing.contains(null)) {
      return desired;
    }
    createAndDropPhysicalSlots(desired, existing);
    createPermanentLogicalSlots();
    cascading.forEach(
        (member, lsn) -> {
          String slot = SlotNames.forMember(member);
          if (lsn > 0 && desired.contains(slot)) {
            client.queryStrings(
                "SELECT pg_replication_slot_advance(slot_name, LEAST(?::pg_lsn,"
                    + " pg_current_wal_lsn()))::text FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active AND restart_lsn IS NOT NULL"
                    + " AND restart_lsn < LEAST(?::pg_lsn, pg_current_wal_lsn())",
                lsnText(lsn),
                slot,
                lsnText(lsn));
          }
        });
    return desired;
  }

  /**
   * On a primary: creates the permanent logical slots missing here, once {@code wal_level} is
   * {@code logical} (each in its database). Logical slots are never dropped: others may be managed
   * by someone else.
   */
  private void createPermanentLogicalSlots() {
    if (dynamic.permanentLogicalSlots().isEmpty()) {
      return;
    }
    List<String> existing =
        client.queryStrings(
            "SELECT slot_name FROM pg_replication_slots WHERE current_setting('wal_level') ="
                + " 'logical' AND NOT pg_is_in_recovery() UNION ALL SELECT NULL WHERE"
                + " current_setting('wal_level') <> 'logical' OR pg_is_in_recovery()");
    if (existing.contains(null)) {
      return;
    }
    dynamic
        .permanentLogicalSlots()
        .forEach(
            (name, slot) -> {
              if (existing.contains(name)) {
                return;
              }
              try {
                PostgresClient.once(
                    settings.localHost(),
                    settings.port(),
                    settings.localSocketDirectory().orElse(null),
                    slot.get("database"),
                    settings.superuser(),
                    settings.connectTimeout(),
                    settings.pgCtlTimeout(),
                    c -> {
                      try (var ps =
                          c.prepareStatement(
                              "SELECT slot_name FROM pg_create_logical_replication_slot(?, ?)")) {
                        ps.setString(1, name);
                        ps.setString(2, slot.get("plugin"));
                        ps.executeQuery().close();
                      }
                      return null;
                    });
                log.info("created logical replication slot {}", name);
              } catch (PostgresQueryException ex) {
                warnOnce(
                    "cannot create the permanent logical slot " + name + ": " + ex.getMessage());
              }
            });
  }

  /**
   * The position of each replication slot on this server: a physical slot's {@code restart_lsn}, a
   * logical slot's {@code confirmed_flush_lsn}.
   */
  public Map<String, Long> slotPositions() {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (String row :
        client.queryStrings(
            "SELECT slot_name || '|' || (COALESCE(confirmed_flush_lsn, restart_lsn) - '0/0')"
                + "::bigint FROM pg_replication_slots"
                + " WHERE COALESCE(confirmed_flush_lsn, restart_lsn) IS NOT NULL")) {
      int bar = row.lastIndexOf('|');
      out.put(row.substring(0, bar), Long.parseLong(row.substring(bar + 1)));
    }
    return out;
  }

  private static String lsnText(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xffffffffL).toUpperCase(java.util.Locale.ROOT);
  }

  /**
   * On a replica: the physical slots of the members that stream from it (tag {@code replicatefrom})
   * exist, other inactive physical slots are dropped. Does nothing on a primary or when {@code
   * use_slots} is off.
   */
  public void syncCascadingSlots(Set<String> members) {
    if (!dynamic.useSlots()) {
      return;
    }
    Set<String> desired = new LinkedHashSet<>();
    members.stream().map(SlotNames::forMember).forEach(desired::add);
    List<String> existing =
        client.queryStrings(
            "SELECT slot_name FROM pg_replication_slots"
                + " WHERE slot_type = 'physical' AND pg_is_in_recovery()"
                + " UNION ALL SELECT NULL WHERE NOT pg_is_in_recovery()");
    if (existing.contains(null)) {
      return;
    }
    createAndDropPhysicalSlots(desired, existing);
  }

  private void createAndDropPhysicalSlots(Set<String> desired, List<String> existing) {
    for (String slot : desired) {
      if (!existing.contains(slot)) {
        client.queryStrings(
            "SELECT slot_name::text FROM pg_create_physical_replication_slot(?, true)", slot);
        log.info("created physical replication slot {}", slot);
      }
    }
    for (String slot : existing) {
      if (!desired.contains(slot)) {
        List<String> dropped =
            client.queryStrings(
                "SELECT pg_drop_replication_slot(slot_name)::text FROM pg_replication_slots"
                    + " WHERE slot_name = ? AND NOT active",
                slot);
        if (!dropped.isEmpty()) {
          log.info("dropped physical replication slot {}", slot);
        }
      }
    }
  }

  /** The physical replication slots on this server. */
  public List<String> physicalSlots() {
    return client.queryStrings(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY 1");
  }

  /** A client for ad-hoc queries on the local server (bounded like the status queries). */
  public PostgresClient client() {
    return client;
  }

  // ---------------------------------------------------------------- checks

  private void checkDataDirectory() {
    if (Files.exists(dataDir)) {
      checkOwner(dataDir);
    }
    if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
      throw new PostgresSetupException(
          "the data directory "
              + dataDir
              + " (postgresql.data_dir) holds no PostgreSQL cluster: bootstrap one or create a"
              + " replica first");
    }
  }

  private void checkOwner(Path dir) {
    try {
      if (!runner.user().owns(dir)) {
        Object owner = Files.getAttribute(dir, "unix:uid");
        throw new PostgresSetupException(
            "the data directory "
                + dir
                + " is owned by uid "
                + owner
                + ", not by the PostgreSQL user '"
                + runner.user().name()
                + "' (uid "
                + runner.user().uid()
                + "): chown -R "
                + runner.user().name()
                + " "
                + dir
                + ", or change postgresql.data_dir"
                + (runner.user().switchUser() ? " or " + OsUser.SETTING : ""));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read the owner of " + dir, ex);
    }
  }

  private void prepareEmptyDataDir(String what) {
    prepareEmptyDataDir(what, true);
  }

  /**
   * Checks that the data directory is absent or empty, and makes an absent one; unless {@code
   * create} is false and the PostgreSQL user may create it itself: a user's method then gets it
   * absent, as from Patroni (a restore that copies a whole directory into place needs that).
   */
  private void prepareEmptyDataDir(String what, boolean create) {
    try {
      Path parent = dataDir.toAbsolutePath().getParent();
      if (!create
          && !Files.exists(dataDir)
          && Files.isDirectory(parent)
          && runner.user().owns(parent)) {
        return;
      }
      if (Files.exists(dataDir)) {
        if (!Files.isDirectory(dataDir)) {
          throw new PostgresSetupException(
              "postgresql.data_dir " + dataDir + " is not a directory");
        }
        try (Stream<Path> s = Files.list(dataDir)) {
          if (s.findAny().isPresent()) {
            throw new PostgresSetupException(
                "cannot "
                    + what
                    + ": the data directory "
                    + dataDir
                    + " (postgresql.data_dir) is not empty, and Regent never empties it: move its"
                    + " contents away or point postgresql.data_dir elsewhere");
          }
        }
        checkOwner(dataDir);
      } else {
        Files.createDirectories(dataDir);
        runner.user().chown(dataDir);
      }
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot prepare the data directory " + dataDir, ex);
    }
  }

  /**
   * A custom replica method creates the data directory itself, as with Patroni, which never creates
   * it first (restore tools copy a whole tree into a path that must not exist): the empty directory
   * goes, where its owner can create it again.
   */
  private void leaveDataDirToMethod() {
    try {
      if (!Files.isDirectory(dataDir) || dataDir.getParent() == null) {
        return;
      }
      try (Stream<Path> s = Files.list(dataDir)) {
        if (s.findAny().isPresent()) {
          return;
        }
      }
      if (runner.user().owns(dataDir.getParent())) {
        Files.delete(dataDir);
      }
    } catch (IOException ex) {
      log.debug("keeping the empty data directory {}: {}", dataDir, ex.getMessage());
    }
  }

  private void emptyDataDirectory() {
    // Called after a failed replica method (the directory was empty before it) and when
    // remove_data_directory_on_rewind_failure / ..._on_diverged_timelines allow it.
    try {
      if (Files.isDirectory(dataDir)) {
        try (Stream<Path> s = Files.list(dataDir)) {
          for (Path p : s.toList()) {
            deleteTree(p);
          }
        }
      } else {
        Files.createDirectories(dataDir);
      }
      runner.user().chown(dataDir);
      Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot empty the data directory " + dataDir, ex);
    }
  }

  private void removeDataDirectory(String allowedBy) {
    log.warn("removing the contents of {} (allowed by {})", dataDir, allowedBy);
    emptyDataDirectory();
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> s = Files.walk(p)) {
        for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(q);
        }
      }
    } else {
      Files.deleteIfExists(p);
    }
  }

  private void checkPortFree() {
    for (String host : settings.listenAddresses().split(",")) {
      String h = host.strip();
      if (h.equals("*") || h.isEmpty()) {
        h = "0.0.0.0";
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(h), settings.port()));
      } catch (BindException ex) {
        throw new PostgresSetupException(
            "port "
                + settings.port()
                + " on "
                + h
                + " is already in use by another process: change the port in postgresql.listen ("
                + settings.listen()
                + ") or stop that process");
      } catch (IOException ex) {
        throw new PostgresSetupException(
            "cannot listen on "
                + h
                + ":"
                + settings.port()
                + " ("
                + ex.getMessage()
                + "): check postgresql.listen");
      }
    }
  }

  private void createSocketDirectories() throws IOException {
    String dirs = effectiveParameters().get("unix_socket_directories");
    if (dirs == null) {
      return;
    }
    for (String d : dirs.split(",")) {
      String dir = d.strip();
      if (dir.startsWith("/") && !Files.exists(Path.of(dir))) {
        Files.createDirectories(Path.of(dir));
        runner.user().chown(Path.of(dir));
      }
    }
  }

  private String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException ex) {
      return "";
    }
  }

  private static List<String> options(List<Object> opts, String setting) {
    List<String> out = new ArrayList<>();
    for (Object o : opts) {
      if (o instanceof String s) {
        out.add(s.startsWith("-") ? s : "--" + s);
      } else if (o instanceof Map<?, ?> m && m.size() == 1) {
        Map.Entry<?, ?> e = m.entrySet().iterator().next();
        out.add("--" + e.getKey() + "=" + e.getValue());
      } else {
        throw new PostgresSetupException(
            setting + ": option " + o + " must be a string or a single key: value");
      }
    }
    return out;
  }

  private static void deleteQuietly(Path p) {
    if (p == null) {
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException ex) {
      log.debug("cannot delete {}", p, ex);
    }
  }

  /** Closes the JDBC pool and kills running callbacks; the server keeps running. */
  @Override
  public void close() {
    client.close();
    callbacks.close();
  }
}
