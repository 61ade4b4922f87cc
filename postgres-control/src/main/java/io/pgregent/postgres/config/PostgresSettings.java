package io.pgregent.postgres.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The local settings for one PostgreSQL, mirroring Patroni's {@code postgresql:} section plus the
 * member identity ({@code scope}, {@code name}), {@code bootstrap.*} for PostgreSQL and {@code
 * regent.postgres_user}. Immutable; build with {@link #builder()}.
 *
 * @param scope the cluster name ({@code scope}), passed to callbacks and used as {@code
 *     cluster_name}
 * @param name this member's name: {@code application_name} when streaming and the base of its
 *     replication slot name
 * @param dataDir {@code postgresql.data_dir}
 * @param binDir {@code postgresql.bin_dir}, may be null (then PATH, then the newest {@code
 *     /usr/lib/postgresql/<v>/bin})
 * @param binName {@code postgresql.bin_name.*}: program name overrides ({@code pg_ctl: pg_ctl15})
 * @param listen {@code postgresql.listen}: {@code host[,host...]:port}
 * @param connectAddress {@code postgresql.connect_address}: {@code host:port} others use
 * @param parameters {@code postgresql.parameters} (local)
 * @param pgHba {@code postgresql.pg_hba} lines
 * @param pgIdent {@code postgresql.pg_ident} lines
 * @param superuser {@code postgresql.authentication.superuser}
 * @param replication {@code postgresql.authentication.replication}
 * @param rewind {@code postgresql.authentication.rewind}, may be null (then the superuser)
 * @param callbacks {@code postgresql.callbacks}
 * @param createReplicaMethods {@code postgresql.create_replica_methods}, in order; {@code
 *     basebackup} is the built-in one
 * @param replicaMethods the configuration of each custom method, by name
 * @param basebackup {@code postgresql.basebackup} options (strings or single-entry maps)
 * @param usePgRewind {@code postgresql.use_pg_rewind}
 * @param removeDataDirectoryOnRewindFailure {@code
 *     postgresql.remove_data_directory_on_rewind_failure}
 * @param removeDataDirectoryOnDivergedTimelines {@code
 *     postgresql.remove_data_directory_on_diverged_timelines}
 * @param pgCtlTimeout {@code postgresql.pg_ctl_timeout}: bound of start, stop and promote
 * @param prePromote {@code postgresql.pre_promote} command, may be null
 * @param beforeStop {@code postgresql.before_stop} command, may be null
 * @param pgpass {@code postgresql.pgpass}: the password file Regent writes for libpq programs
 * @param useUnixSocket {@code postgresql.use_unix_socket}: the superuser's connections to this
 *     server go through its socket directory (see {@link #localSocketDirectory()})
 * @param useUnixSocketRepl {@code postgresql.use_unix_socket_repl}: replication connections to this
 *     server go through its socket directory (Regent makes none today)
 * @param postgresUser {@code regent.postgres_user}: the OS user when Regent runs as root
 * @param connectTimeout bound of opening a JDBC connection
 * @param queryTimeout bound of one status query (socket timeout; at least one second)
 * @param bootstrap {@code bootstrap.initdb}, {@code pg_hba}, {@code post_bootstrap}, {@code method}
 * @param configDir {@code postgresql.config_dir}: where {@code postgresql.conf}, {@code
 *     pg_hba.conf} and {@code pg_ident.conf} are written (Debian's {@code /etc/postgresql}); the
 *     data directory when null
 * @param customConf {@code postgresql.custom_conf}: the file included as the base configuration
 *     instead of {@code postgresql.base.conf}, or null
 */
public record PostgresSettings(
    String scope,
    String name,
    Path dataDir,
    Path binDir,
    Map<String, String> binName,
    String listen,
    String connectAddress,
    Map<String, Object> parameters,
    List<String> pgHba,
    List<String> pgIdent,
    Credentials superuser,
    Credentials replication,
    Credentials rewind,
    Callbacks callbacks,
    List<String> createReplicaMethods,
    Map<String, ReplicaMethod> replicaMethods,
    List<Object> basebackup,
    boolean usePgRewind,
    boolean removeDataDirectoryOnRewindFailure,
    boolean removeDataDirectoryOnDivergedTimelines,
    Duration pgCtlTimeout,
    String prePromote,
    String beforeStop,
    Path pgpass,
    boolean useUnixSocket,
    boolean useUnixSocketRepl,
    String postgresUser,
    Duration connectTimeout,
    Duration queryTimeout,
    BootstrapSettings bootstrap,
    Path configDir,
    String customConf) {

  /** libpq's socket directory when {@code unix_socket_directories} is not set (Debian's build). */
  public static final String DEFAULT_SOCKET_DIRECTORY = "/var/run/postgresql";

  public PostgresSettings {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dataDir, "postgresql.data_dir");
    Objects.requireNonNull(listen, "postgresql.listen");
    Objects.requireNonNull(superuser, "postgresql.authentication.superuser");
    Objects.requireNonNull(replication, "postgresql.authentication.replication");
    binName = Map.copyOf(binName == null ? Map.of() : binName);
    parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nullSafe(parameters)));
    pgHba = List.copyOf(pgHba == null ? List.of() : pgHba);
    pgIdent = List.copyOf(pgIdent == null ? List.of() : pgIdent);
    callbacks = callbacks == null ? Callbacks.NONE : callbacks;
    createReplicaMethods =
        List.copyOf(
            createReplicaMethods == null || createReplicaMethods.isEmpty()
                ? List.of("basebackup")
                : createReplicaMethods);
    replicaMethods = Map.copyOf(replicaMethods == null ? Map.of() : replicaMethods);
    basebackup = List.copyOf(basebackup == null ? List.of() : basebackup);
    pgCtlTimeout = pgCtlTimeout == null ? Duration.ofSeconds(60) : pgCtlTimeout;
    pgpass = pgpass == null ? dataDir.resolveSibling(dataDir.getFileName() + ".pgpass") : pgpass;
    postgresUser = postgresUser == null || postgresUser.isBlank() ? "postgres" : postgresUser;
    connectTimeout = connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
    queryTimeout = queryTimeout == null ? Duration.ofSeconds(5) : queryTimeout;
    bootstrap = bootstrap == null ? BootstrapSettings.DEFAULT : bootstrap;
    customConf = customConf == null || customConf.isBlank() ? null : customConf;
  }

  /** The directory of the configuration files: {@code config_dir}, else the data directory. */
  public Path configDirectory() {
    return (configDir != null ? configDir : dataDir).toAbsolutePath().normalize();
  }

  private static Map<String, Object> nullSafe(Map<String, Object> m) {
    return m == null ? Map.of() : m;
  }

  /** The rewind credentials, falling back to the superuser as Patroni does. */
  public Credentials rewindCredentials() {
    return rewind != null ? rewind : superuser;
  }

  /** The port from {@code listen}. */
  public int port() {
    return HostPort.parse(listen, "postgresql.listen").port();
  }

  /** The address this node itself connects to: the first {@code listen} host, wildcards local. */
  public String localHost() {
    String hosts = HostPort.parse(listen, "postgresql.listen").host();
    String first = hosts.split(",")[0].strip();
    return first.isEmpty() || first.equals("*") || first.equals("0.0.0.0") || first.equals("::")
        ? "127.0.0.1"
        : first;
  }

  /**
   * The socket directory the superuser's local connections use: empty unless {@code
   * use_unix_socket} is set; the first absolute entry of {@code unix_socket_directories}, or empty
   * (TCP) when it has none; PostgreSQL's default directory when the parameter is not set.
   */
  public java.util.Optional<Path> localSocketDirectory() {
    if (!useUnixSocket) {
      return java.util.Optional.empty();
    }
    Object dirs = parameters.get("unix_socket_directories");
    if (dirs == null) {
      return java.util.Optional.of(Path.of(DEFAULT_SOCKET_DIRECTORY));
    }
    for (String d : String.valueOf(dirs).split(",")) {
      // '@' names an abstract socket and relative names cannot be connected to
      if (d.strip().startsWith("/")) {
        return java.util.Optional.of(Path.of(d.strip()));
      }
    }
    return java.util.Optional.empty();
  }

  /** The listen hosts as {@code listen_addresses}. */
  public String listenAddresses() {
    return HostPort.parse(listen, "postgresql.listen").host();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder with Patroni's defaults. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.scope = scope;
    b.name = name;
    b.dataDir = dataDir;
    b.binDir = binDir;
    b.binName = binName;
    b.listen = listen;
    b.connectAddress = connectAddress;
    b.parameters = new LinkedHashMap<>(parameters);
    b.pgHba = pgHba;
    b.pgIdent = pgIdent;
    b.superuser = superuser;
    b.replication = replication;
    b.rewind = rewind;
    b.callbacks = callbacks;
    b.createReplicaMethods = createReplicaMethods;
    b.replicaMethods = replicaMethods;
    b.basebackup = basebackup;
    b.usePgRewind = usePgRewind;
    b.removeDataDirectoryOnRewindFailure = removeDataDirectoryOnRewindFailure;
    b.removeDataDirectoryOnDivergedTimelines = removeDataDirectoryOnDivergedTimelines;
    b.pgCtlTimeout = pgCtlTimeout;
    b.prePromote = prePromote;
    b.beforeStop = beforeStop;
    b.pgpass = pgpass;
    b.useUnixSocket = useUnixSocket;
    b.useUnixSocketRepl = useUnixSocketRepl;
    b.postgresUser = postgresUser;
    b.connectTimeout = connectTimeout;
    b.queryTimeout = queryTimeout;
    b.bootstrap = bootstrap;
    b.configDir = configDir;
    b.customConf = customConf;
    return b;
  }

  @Override
  public String toString() {
    return "PostgresSettings[scope="
        + scope
        + ", name="
        + name
        + ", dataDir="
        + dataDir
        + ", listen="
        + listen
        + ", superuser="
        + superuser
        + ", replication="
        + replication
        + ", rewind="
        + rewind
        + ", postgresUser="
        + postgresUser
        + "]";
  }

  /** Builds {@link PostgresSettings}. */
  public static final class Builder {
    private String scope;
    private String name;
    private Path dataDir;
    private Path binDir;
    private Map<String, String> binName = Map.of();
    private String listen;
    private String connectAddress;
    private Map<String, Object> parameters = new LinkedHashMap<>();
    private List<String> pgHba = List.of();
    private List<String> pgIdent = List.of();
    private Credentials superuser;
    private Credentials replication;
    private Credentials rewind;
    private Callbacks callbacks = Callbacks.NONE;
    private List<String> createReplicaMethods = List.of();
    private Map<String, ReplicaMethod> replicaMethods = Map.of();
    private List<Object> basebackup = List.of();
    private boolean usePgRewind;
    private boolean removeDataDirectoryOnRewindFailure;
    private boolean removeDataDirectoryOnDivergedTimelines;
    private Duration pgCtlTimeout;
    private String prePromote;
    private String beforeStop;
    private Path pgpass;
    private boolean useUnixSocket;
    private boolean useUnixSocketRepl;
    private String postgresUser;
    private Duration connectTimeout;
    private Duration queryTimeout;
    private BootstrapSettings bootstrap;
    private Path configDir;
    private String customConf;

    public Builder scope(String v) {
      scope = v;
      return this;
    }

    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder dataDir(Path v) {
      dataDir = v;
      return this;
    }

    public Builder binDir(Path v) {
      binDir = v;
      return this;
    }

    public Builder binName(Map<String, String> v) {
      binName = v;
      return this;
    }

    public Builder listen(String v) {
      listen = v;
      return this;
    }

    public Builder connectAddress(String v) {
      connectAddress = v;
      return this;
    }

    public Builder parameters(Map<String, Object> v) {
      parameters = new LinkedHashMap<>(v);
      return this;
    }

    public Builder parameter(String key, Object value) {
      parameters.put(key, value);
      return this;
    }

    public Builder pgHba(List<String> v) {
      pgHba = v;
      return this;
    }

    public Builder pgIdent(List<String> v) {
      pgIdent = v;
      return this;
    }

    public Builder superuser(Credentials v) {
      superuser = v;
      return this;
    }

    public Builder replication(Credentials v) {
      replication = v;
      return this;
    }

    public Builder rewind(Credentials v) {
      rewind = v;
      return this;
    }

    public Builder callbacks(Callbacks v) {
      callbacks = v;
      return this;
    }

    public Builder createReplicaMethods(List<String> v) {
      createReplicaMethods = v;
      return this;
    }

    public Builder replicaMethods(Map<String, ReplicaMethod> v) {
      replicaMethods = v;
      return this;
    }

    public Builder basebackup(List<Object> v) {
      basebackup = v;
      return this;
    }

    public Builder usePgRewind(boolean v) {
      usePgRewind = v;
      return this;
    }

    public Builder removeDataDirectoryOnRewindFailure(boolean v) {
      removeDataDirectoryOnRewindFailure = v;
      return this;
    }

    public Builder removeDataDirectoryOnDivergedTimelines(boolean v) {
      removeDataDirectoryOnDivergedTimelines = v;
      return this;
    }

    public Builder pgCtlTimeout(Duration v) {
      pgCtlTimeout = v;
      return this;
    }

    public Builder prePromote(String v) {
      prePromote = v;
      return this;
    }

    public Builder beforeStop(String v) {
      beforeStop = v;
      return this;
    }

    public Builder pgpass(Path v) {
      pgpass = v;
      return this;
    }

    public Builder useUnixSocket(boolean v) {
      useUnixSocket = v;
      return this;
    }

    public Builder useUnixSocketRepl(boolean v) {
      useUnixSocketRepl = v;
      return this;
    }

    public Builder postgresUser(String v) {
      postgresUser = v;
      return this;
    }

    public Builder connectTimeout(Duration v) {
      connectTimeout = v;
      return this;
    }

    public Builder queryTimeout(Duration v) {
      queryTimeout = v;
      return this;
    }

    public Builder bootstrap(BootstrapSettings v) {
      bootstrap = v;
      return this;
    }

    public Builder configDir(Path v) {
      configDir = v;
      return this;
    }

    public Builder customConf(String v) {
      customConf = v;
      return this;
    }

    public PostgresSettings build() {
      return new PostgresSettings(
          scope,
          name,
          dataDir,
          binDir,
          binName,
          listen,
          connectAddress,
          parameters,
          pgHba,
          pgIdent,
          superuser,
          replication,
          rewind,
          callbacks,
          createReplicaMethods,
          replicaMethods,
          basebackup,
          usePgRewind,
          removeDataDirectoryOnRewindFailure,
          removeDataDirectoryOnDivergedTimelines,
          pgCtlTimeout,
          prePromote,
          beforeStop,
          pgpass,
          useUnixSocket,
          useUnixSocketRepl,
          postgresUser,
          connectTimeout,
          queryTimeout,
          bootstrap,
          configDir,
          customConf);
    }
  }
}
