package io.pgregent.postgres;

import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.config.ReplicaMethod;
import io.pgregent.postgres.os.CommandResult;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates this member's data directory as a copy of the leader's: {@code create_replica_methods} in
 * order, basebackup last, and the {@code no_leader} methods when there is no leader.
 */
final class ReplicaCreator {

  private static final Logger log = LoggerFactory.getLogger(ReplicaCreator.class);

  private final LocalNode node;
  private final ServerConfiguration config;
  private final DataDirectory dataDirectory;
  private final ProcessControl process;
  private final Upstream upstream;

  ReplicaCreator(
      LocalNode node,
      ServerConfiguration config,
      DataDirectory dataDirectory,
      ProcessControl process,
      Upstream upstream) {
    this.node = node;
    this.config = config;
    this.dataDirectory = dataDirectory;
    this.process = process;
    this.upstream = upstream;
  }

  void createReplica(LeaderConnection leader, Duration timeout) {
    dataDirectory.prepareEmpty("create a replica");
    config.writePgpass();
    RemotePrimary remote = upstream.remote();
    List<String> methods =
        new ArrayList<>(
            RemotePrimary.isRemote(leader)
                    && remote != null
                    && !remote.createReplicaMethods().isEmpty()
                ? remote.createReplicaMethods()
                : node.settings.createReplicaMethods());
    if (leader == null) {
      methods.removeIf(m -> !canCloneWithoutLeader(m));
    } else if (!methods.contains("basebackup")) {
      methods.add("basebackup");
    }
    List<String> failures = new ArrayList<>();
    for (String method : methods) {
      ReplicaMethod rm = node.settings.replicaMethods().get(method);
      if (!failures.isEmpty() && (rm == null || !rm.keepData())) {
        // What a failed method left goes, unless this one keeps it (keep_data).
        dataDirectory.empty();
      } else if (!failures.isEmpty()) {
        log.info("Leaving data directory uncleaned");
      }
      CommandResult r;
      try {
        r = runReplicaMethod(method, leader, timeout);
      } catch (PostgresException | UncheckedIOException ex) {
        r = new CommandResult(List.of(method), -1, ex.getMessage());
      }
      if (r.succeeded() && node.initialized()) {
        if (leader == null) {
          log.info("created the replica with {} without a leader", method);
          config.writeStandbyWithoutUpstream();
        } else {
          log.info("created the replica with {} from {}", method, leader.name());
          upstream.follow(leader);
        }
        LocalNode.deleteQuietly(node.dataDir.resolve("postmaster.pid"));
        return;
      }
      failures.add(method + ": " + r.outputTail(5));
      log.warn("replica method {} failed: {}", method, r.outputTail(5));
    }
    dataDirectory.empty();
    throw new PostgresException("could not create a replica: " + String.join("; ", failures));
  }

  boolean canCloneWithoutLeader(String method) {
    ReplicaMethod rm = node.settings.replicaMethods().get(method);
    return !"basebackup".equals(method) && rm != null && rm.noLeader();
  }

  private CommandResult runReplicaMethod(String method, LeaderConnection leader, Duration timeout) {
    PostgresSettings settings = node.settings;
    Map<String, String> env = Map.of("PGPASSFILE", settings.pgpass().toString());
    if ("basebackup".equals(method)) {
      List<String> cmd = new ArrayList<>();
      cmd.add(node.binaries.pgBasebackup().toString());
      cmd.add("--pgdata=" + node.dataDir);
      cmd.add("--wal-method=stream");
      cmd.add("--dbname=" + upstream.conninfo(leader, settings.replication(), false));
      cmd.add("--no-password");
      cmd.addAll(CommandLine.options(settings.basebackup(), "postgresql.basebackup"));
      return node.runner.run(cmd, env, timeout);
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
      dataDirectory.leaveToMethod();
    }
    List<String> cmd = new ArrayList<>(CommandLine.split(rm.command()));
    methodArguments(rm, leader).forEach((k, v) -> cmd.add("--" + k + "=" + v));
    return node.runner.runScript(cmd, env, timeout);
  }

  /**
   * The arguments a custom method gets, as from Patroni: its own keys ({@code keep_data} and {@code
   * no_leader} too, written as Patroni writes booleans), then {@code scope}, {@code role}, {@code
   * datadir} and {@code connstring}; with {@code no_params} only the keys that are not flags.
   */
  Map<String, String> methodArguments(ReplicaMethod rm, LeaderConnection leader) {
    Map<String, String> args = new LinkedHashMap<>();
    if (!rm.noParams()) {
      if (rm.keepData()) {
        args.put("keep_data", "True");
      }
      if (rm.noLeader()) {
        args.put("no_leader", "True");
      }
    }
    args.putAll(rm.extraParams());
    if (!rm.noParams()) {
      PostgresSettings settings = node.settings;
      args.put("scope", settings.scope());
      args.put("role", "replica");
      args.put("datadir", node.dataDir.toString());
      args.put(
          "connstring",
          leader == null ? "" : upstream.conninfo(leader, settings.replication(), false));
    }
    return args;
  }

  void recloneOnDivergedTimelines(LeaderConnection leader, Duration timeout) {
    if (!node.settings.removeDataDirectoryOnDivergedTimelines()) {
      throw new PostgresSetupException(
          "the timelines of this member and "
              + leader.name()
              + " diverged; the data directory is kept: enable postgresql.use_pg_rewind or"
              + " postgresql.remove_data_directory_on_diverged_timelines");
    }
    if (node.isRunning()) {
      process.stop(StopMode.FAST, node.settings.pgCtlTimeout(), true);
    }
    dataDirectory.remove("remove_data_directory_on_diverged_timelines");
    createReplica(leader, timeout);
  }

  void reinitialize(LeaderConnection leader, Duration timeout) {
    if (node.isRunning()) {
      process.stop(StopMode.FAST, node.settings.pgCtlTimeout(), true);
    }
    dataDirectory.remove("a reinitialize request");
    createReplica(leader, timeout);
    process.start(true);
  }
}
