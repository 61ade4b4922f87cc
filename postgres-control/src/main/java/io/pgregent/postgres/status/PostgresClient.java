package io.pgregent.postgres.status;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.pgregent.postgres.config.Credentials;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * JDBC access to one PostgreSQL server through a HikariCP pool of at most two connections, created
 * lazily and never failing at creation ({@code initializationFailTimeout=-1}). Every call is
 * bounded: the connect timeout bounds opening a connection, the socket timeout (at least one
 * second, rounded up) bounds every query, so a hung (e.g. SIGSTOPped) server makes calls fail
 * instead of blocking.
 */
public final class PostgresClient implements AutoCloseable {

  /** Work done on one connection. */
  @FunctionalInterface
  public interface ConnectionWork<T> {
    T apply(Connection connection) throws SQLException;
  }

  private static final String STATUS_SQL =
      "SELECT pg_is_in_recovery(), pg_postmaster_start_time(),"
          + " (SELECT system_identifier FROM pg_control_system())::text,"
          + " CASE WHEN pg_is_in_recovery() THEN COALESCE((SELECT received_tli FROM"
          + " pg_stat_wal_receiver WHERE received_tli > 0), GREATEST((SELECT timeline_id FROM"
          + " pg_control_checkpoint()), (SELECT min_recovery_end_timeline FROM"
          + " pg_control_recovery())))"
          + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
          + " CASE WHEN pg_is_in_recovery() THEN -1 ELSE (pg_current_wal_lsn() - '0/0')::bigint"
          + " END,"
          + " COALESCE((pg_last_wal_receive_lsn() - '0/0')::bigint, -1),"
          + " COALESCE((pg_last_wal_replay_lsn() - '0/0')::bigint, -1),"
          + " ARRAY(SELECT name FROM pg_settings WHERE pending_restart ORDER BY name),"
          + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
          + " (SELECT received_tli FROM pg_stat_wal_receiver WHERE received_tli > 0)";

  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);

  private static final String REPLICATION_SQL =
      "SELECT pid, usename, application_name, client_addr::text, state, sync_state,"
          + " COALESCE((sent_lsn - '0/0')::bigint, -1), COALESCE((write_lsn - '0/0')::bigint, -1),"
          + " COALESCE((flush_lsn - '0/0')::bigint, -1), COALESCE((replay_lsn - '0/0')::bigint,"
          + " -1),"
          // PostgreSQL clears the lag times once a standby caught up and no WAL flows: that is 0
          + " CASE WHEN replay_lag IS NOT NULL THEN (EXTRACT(EPOCH FROM replay_lag) * 1000)::bigint"
          + " WHEN replay_lsn IS NOT NULL AND replay_lsn >= sent_lsn THEN 0 ELSE -1 END"
          + " FROM pg_stat_replication ORDER BY application_name";

  // HikariCP checks a pooled connection with a round trip to the server when it was idle for more
  // than half a second, i.e. before every HA cycle's status read. The status read is retried
  // instead (see status()), and connections idle for two minutes are closed anyway.
  static {
    if (System.getProperty("com.zaxxer.hikari.aliveBypassWindowMs") == null) {
      System.setProperty(
          "com.zaxxer.hikari.aliveBypassWindowMs", Long.toString(IDLE_TIMEOUT.toMillis()));
    }
  }

  private final ServerAddress address;
  private final ReplicaTimeline replicaTimeline = new ReplicaTimeline();
  private final Credentials credentials;
  private final Duration connectTimeout;
  private final Duration queryTimeout;
  private final String poolName;
  private HikariDataSource pool;

  /** Bound of opening a connection for {@link #status()} when the pool has none idle. */
  private volatile Duration probeTimeout;

  /**
   * @param credentials the role to connect as (the superuser for the local server)
   * @param connectTimeout bound of opening one connection
   * @param queryTimeout bound of one query
   */
  public PostgresClient(
      String host,
      int port,
      Credentials credentials,
      Duration connectTimeout,
      Duration queryTimeout,
      String poolName) {
    this(host, port, null, credentials, connectTimeout, queryTimeout, poolName);
  }

  /**
   * @param socketDirectory when not null, connect through the server's unix socket in this
   *     directory instead of TCP to {@code host}
   */
  public PostgresClient(
      String host,
      int port,
      Path socketDirectory,
      Credentials credentials,
      Duration connectTimeout,
      Duration queryTimeout,
      String poolName) {
    this.address = new ServerAddress(host, port, socketDirectory);
    this.credentials = credentials;
    this.connectTimeout = connectTimeout;
    this.queryTimeout = queryTimeout;
    this.poolName = poolName;
    this.probeTimeout = connectTimeout;
  }

  /**
   * Bounds opening a connection for {@link #status()} when none is pooled (at least one second,
   * rounded up, and never more than the connect timeout): the HA loop reads the status every cycle,
   * and must go on cycling whatever PostgreSQL does.
   */
  public void probeTimeout(Duration bound) {
    probeTimeout = bound.compareTo(connectTimeout) < 0 ? bound : connectTimeout;
  }

  /** The bound {@link #probeTimeout(Duration)} set (the connect timeout until then). */
  public Duration probeTimeout() {
    return probeTimeout;
  }

  /**
   * Reads this server's status in one round trip (two on a server with standbys). A pooled
   * connection is not checked before use (that would be a second round trip every HA cycle): when
   * it died with the server since, the read is made once more on a new connection.
   */
  public ServerStatus status() {
    try {
      return readStatus();
    } catch (PostgresQueryException e) {
      if (!(e.getCause() instanceof SQLException sql) || !isConnectionFailure(sql)) {
        throw e;
      }
      synchronized (this) {
        if (pool != null && pool.getHikariPoolMXBean() != null) {
          pool.getHikariPoolMXBean().softEvictConnections();
        }
      }
      return readStatus();
    }
  }

  /**
   * A connection that broke or whose session the server ended, not a statement that failed or a
   * server that does not answer in time (a hung server must not cost the cycle a second timeout).
   */
  static boolean isConnectionFailure(SQLException e) {
    boolean broken = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.SocketTimeoutException) {
        return false;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        // 57P01/57P02: the server ended the session (shut down, restarted, pg_terminate_backend)
        broken |= state.startsWith("08") || state.equals("57P01") || state.equals("57P02");
      }
    }
    return broken;
  }

  private ServerStatus readStatus() {
    return withProbedConnection(
        c -> {
          // Prepared: the driver parses it once per connection, the server plans it once.
          try (PreparedStatement st = c.prepareStatement(STATUS_SQL);
              ResultSet rs = st.executeQuery()) {
            rs.next();
            boolean inRecovery = rs.getBoolean(1);
            Timestamp started = rs.getTimestamp(2);
            String sysid = rs.getString(3);
            int timeline = rs.getInt(4);
            long current = rs.getLong(5);
            long receive = rs.getLong(6);
            long replay = rs.getLong(7);
            Array pending = rs.getArray(8);
            String walReceiver = rs.getString(9);
            int received = rs.getInt(10);
            if (inRecovery) {
              timeline = replicaTimeline.observe(started, received, timeline);
            }
            Set<String> pendingRestart =
                new HashSet<>(Arrays.asList((String[]) pending.getArray()));
            List<ReplicationRow> rows = inRecovery ? List.of() : replication(c);
            return new ServerStatus(
                inRecovery,
                started == null ? null : started.toInstant(),
                sysid,
                timeline,
                current,
                receive,
                replay,
                pendingRestart,
                rows,
                walReceiver);
          }
        });
  }

  private static List<ReplicationRow> replication(Connection c) throws SQLException {
    List<ReplicationRow> rows = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(REPLICATION_SQL);
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        rows.add(
            new ReplicationRow(
                rs.getInt(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getLong(7),
                rs.getLong(8),
                rs.getLong(9),
                rs.getLong(10),
                rs.getLong(11)));
      }
    }
    return rows;
  }

  /** Runs one statement that returns nothing. */
  public void execute(String sql) {
    withConnection(
        c -> {
          try (Statement st = c.createStatement()) {
            st.execute(sql);
          }
          return null;
        });
  }

  /** Runs one parameterized statement that returns nothing. */
  public void execute(String sql, Object... args) {
    withConnection(
        c -> {
          try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
              st.setObject(i + 1, args[i]);
            }
            st.execute();
          }
          return null;
        });
  }

  /** The first column of every row of {@code sql}. */
  public List<String> queryStrings(String sql, Object... args) {
    return withConnection(
        c -> {
          try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
              st.setObject(i + 1, args[i]);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getString(1));
              }
            }
            return out;
          }
        });
  }

  /**
   * Runs {@code work} on a pooled connection; every failure becomes a query exception. The wait for
   * a connection is outside this object's lock: while the server is down, callers (REST health
   * checks) wait up to the connect timeout each, and holding the lock meanwhile would keep the HA
   * loop from {@link #reset()} and restarting the server.
   */
  public <T> T withConnection(ConnectionWork<T> work) {
    HikariDataSource ds;
    synchronized (this) {
      ds = pool();
    }
    try (Connection c = ds.getConnection()) {
      return work.apply(c);
    } catch (SQLException ex) {
      throw new PostgresQueryException(
          "query on " + address.where() + " failed: " + ex.getMessage(), ex);
    }
  }

  /**
   * As {@link #withConnection}, but when the pool has no idle connection one is opened here first,
   * bounded by the probe timeout: the pool would retry a refused login (pg_hba.conf, a wrong
   * password) until its whole timeout and wait that long for a server that does not answer, where
   * this fails at once, or within the probe timeout. Once PostgreSQL lets us in, the pool opens its
   * own connection.
   */
  private synchronized <T> T withProbedConnection(ConnectionWork<T> work) {
    HikariPoolMXBean state = pool().getHikariPoolMXBean();
    if (state == null || state.getIdleConnections() == 0) {
      Duration bound = probeTimeout;
      Properties props = address.properties(credentials, bound, queryTimeout);
      props.setProperty("loginTimeout", Long.toString(ServerAddress.seconds(bound)));
      try {
        // Let in: the pool's connection follows.
        DriverManager.getConnection(address.url(), props).close();
      } catch (SQLException ex) {
        throw new PostgresQueryException(
            "query on " + address.where() + " failed: " + ex.getMessage(), ex);
      }
    }
    return withConnection(work);
  }

  /**
   * Runs {@code work} on a fresh connection outside the pool (for another server, or while the pool
   * must not hold sessions).
   */
  public static <T> T once(
      String host,
      int port,
      Credentials credentials,
      Duration connectTimeout,
      Duration queryTimeout,
      ConnectionWork<T> work) {
    return once(host, port, null, credentials, connectTimeout, queryTimeout, work);
  }

  /** As {@link #once}, through the unix socket in {@code socketDirectory} when it is not null. */
  public static <T> T once(
      String host,
      int port,
      Path socketDirectory,
      Credentials credentials,
      Duration connectTimeout,
      Duration queryTimeout,
      ConnectionWork<T> work) {
    return once(
        host, port, socketDirectory, "postgres", credentials, connectTimeout, queryTimeout, work);
  }

  /** As {@link #once}, connected to {@code database}. */
  public static <T> T once(
      String host,
      int port,
      Path socketDirectory,
      String database,
      Credentials credentials,
      Duration connectTimeout,
      Duration queryTimeout,
      ConnectionWork<T> work) {
    ServerAddress address = new ServerAddress(host, port, socketDirectory);
    Properties props = address.properties(credentials, connectTimeout, queryTimeout);
    try (Connection c = DriverManager.getConnection(address.url(database), props)) {
      return work.apply(c);
    } catch (SQLException ex) {
      throw new PostgresQueryException(
          "query on " + address.where() + " failed: " + ex.getMessage(), ex);
    }
  }

  /** Closes the pool's connections (e.g. before the server stops); the next call reopens it. */
  public synchronized void reset() {
    if (pool != null) {
      pool.close();
      pool = null;
    }
  }

  @Override
  public synchronized void close() {
    reset();
  }

  private HikariDataSource pool() {
    if (pool == null) {
      HikariConfig cfg = new HikariConfig();
      cfg.setPoolName(poolName);
      cfg.setJdbcUrl(address.url());
      cfg.setDataSourceProperties(address.properties(credentials, connectTimeout, queryTimeout));
      cfg.setUsername(credentials.username());
      if (credentials.password() != null) {
        cfg.setPassword(credentials.password());
      }
      cfg.setMaximumPoolSize(2);
      cfg.setMinimumIdle(0);
      cfg.setInitializationFailTimeout(-1);
      long connectMillis = Math.max(250, connectTimeout.plus(queryTimeout).toMillis());
      cfg.setConnectionTimeout(connectMillis);
      cfg.setValidationTimeout(Math.max(250, Math.min(queryTimeout.toMillis(), connectMillis - 1)));
      cfg.setIdleTimeout(IDLE_TIMEOUT.toMillis());
      cfg.setMaxLifetime(Duration.ofMinutes(30).toMillis());
      cfg.setAutoCommit(true);
      pool = new HikariDataSource(cfg);
    }
    return pool;
  }

  @Override
  public String toString() {
    return "PostgresClient[" + address.where() + " as " + credentials.username() + "]";
  }
}
