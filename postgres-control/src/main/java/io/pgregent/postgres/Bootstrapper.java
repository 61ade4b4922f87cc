package io.pgregent.postgres;

import io.pgregent.postgres.config.BootstrapMethod;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.status.PostgresQueryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a new cluster: {@code initdb} or a custom {@code bootstrap.method} (with its {@code
 * recovery_conf}), the roles Regent uses, then {@code post_bootstrap}.
 */
final class Bootstrapper {

  private static final Logger log = LoggerFactory.getLogger(Bootstrapper.class);

  private final LocalNode node;
  private final ServerConfiguration config;
  private final DataDirectory dataDirectory;
  private final ProcessControl process;

  Bootstrapper(
      LocalNode node,
      ServerConfiguration config,
      DataDirectory dataDirectory,
      ProcessControl process) {
    this.node = node;
    this.config = config;
    this.dataDirectory = dataDirectory;
    this.process = process;
  }

  void bootstrap() {
    PostgresSettings settings = node.settings;
    dataDirectory.prepareEmpty("bootstrap", settings.bootstrap().method() == null);
    // From here on everything in the data directory is this bootstrap's: a failure removes it,
    // so that a half-made cluster is never taken for an existing one.
    try {
      BootstrapMethod method = settings.bootstrap().method();
      if (method != null) {
        runCustomBootstrap(method);
      } else {
        initdb();
      }
      config.standby(null);
      List<String> hba =
          settings.bootstrap().pgHba().isEmpty() ? settings.pgHba() : settings.bootstrap().pgHba();
      config.write(hba);
      process.start(true, hba);
      if (!config.bootstrapRecovery().isEmpty()) {
        awaitEndOfBootstrapRecovery();
      }
      createRoles();
      if (!settings.bootstrap().pgHba().isEmpty()) {
        config.write();
        config.reloadServer();
      }
      runPostBootstrap();
    } catch (RuntimeException ex) {
      config.bootstrapRecovery(Map.of());
      try {
        if (node.isRunning()) {
          process.stop(StopMode.IMMEDIATE, settings.pgCtlTimeout(), false);
        }
        dataDirectory.empty();
      } catch (RuntimeException cleanupFailure) {
        ex.addSuppressed(cleanupFailure);
        throw new PostgresException(
            "bootstrap failed, and its data directory "
                + node.dataDir
                + " could not be cleaned up: remove its contents before bootstrapping again ("
                + ex.getMessage()
                + ")",
            ex);
      }
      throw new PostgresException(
          "bootstrap failed; PostgreSQL was stopped and what the bootstrap wrote to "
              + node.dataDir
              + " was removed ("
              + ex.getMessage()
              + ")",
          ex);
    }
    log.info("bootstrapped a new cluster in {}", node.dataDir);
  }

  private void initdb() {
    PostgresSettings settings = node.settings;
    Path pwfile = null;
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(node.binaries.initdb().toString());
      cmd.add("--pgdata=" + node.dataDir);
      boolean userGiven = false;
      for (String opt : CommandLine.options(settings.bootstrap().initdb(), "bootstrap.initdb")) {
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
        node.runner.user().chown(pwfile);
        cmd.add("--pwfile=" + pwfile);
      }
      CommandResult r = node.runner.run(cmd, Map.of("LC_ALL", "C.UTF-8"), Duration.ofMinutes(5));
      if (!r.succeeded()) {
        throw new PostgresException("initdb failed: " + r.outputTail(10));
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot write the initdb password file", ex);
    } finally {
      LocalNode.deleteQuietly(pwfile);
    }
  }

  private void runCustomBootstrap(BootstrapMethod method) {
    Path dataDir = node.dataDir;
    List<String> cmd = new ArrayList<>(CommandLine.split(method.command()));
    if (!method.noParams()) {
      cmd.add("--scope=" + node.settings.scope());
      cmd.add("--datadir=" + dataDir);
      method.extraParams().forEach((k, v) -> cmd.add("--" + k + "=" + v));
    }
    CommandResult r =
        node.runner.runScript(
            cmd, Map.of("PGPASSFILE", node.settings.pgpass().toString()), Duration.ofHours(1));
    if (!r.succeeded() || !node.initialized()) {
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
      LocalNode.deleteQuietly(dataDir.resolve("standby.signal"));
      config.bootstrapRecovery(method.recoveryConf());
      node.files.writeRecoverySignal();
    } else if (!method.keepExistingRecoveryConf()) {
      LocalNode.deleteQuietly(dataDir.resolve("standby.signal"));
      LocalNode.deleteQuietly(dataDir.resolve("recovery.signal"));
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
        node.waiter.await(
            () -> {
              if (!node.isRunning()) {
                stopped[0] = true;
                return true;
              }
              try {
                return !node.client.status().inRecovery();
              } catch (PostgresQueryException ex) {
                return false;
              }
            },
            Duration.ofDays(1));
    if (stopped[0]) {
      throw new PostgresException(
          "PostgreSQL stopped during the recovery of the bootstrap: " + node.logTail(5));
    }
    if (!ended) {
      throw new PostgresException("the recovery of the bootstrap did not end");
    }
    config.bootstrapRecovery(Map.of());
    config.write();
    config.reloadServer();
  }

  private void createRoles() {
    Credentials su = node.settings.superuser();
    Credentials repl = node.settings.replication();
    Credentials rewind = node.settings.rewindCredentials();
    node.client.withConnection(
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
              if (node.binaries.majorVersion() >= 15) {
                st.execute("GRANT pg_checkpoint TO " + u);
              }
            }
          }
          return null;
        });
  }

  private static String roleSql(Connection c, Credentials cred, String options)
      throws SQLException {
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

  private static String quoteIdent(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }

  private static String quoteLiteral(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String uriEncode(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private void runPostBootstrap() {
    PostgresSettings settings = node.settings;
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
        node.runner.runScript(
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
}
