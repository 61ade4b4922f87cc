package io.pgregent.postgres;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.CommandResult;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.ServerStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** Changes the role of the local server: promotion, demotion, following another leader. */
final class RoleChange {

  private final LocalNode node;
  private final ServerConfiguration config;
  private final ProcessControl process;
  private final Upstream upstream;

  RoleChange(
      LocalNode node, ServerConfiguration config, ProcessControl process, Upstream upstream) {
    this.node = node;
    this.config = config;
    this.process = process;
    this.upstream = upstream;
  }

  /** Whether on_role_change last heard {@code standby_leader}. */
  private volatile boolean standbyLeader;

  /** A demotion announced the replica role and left the server stopped: its start is no news. */
  private volatile boolean announcedWhileStopped;

  /** Whether a demotion announced the role of the stopped server; clears it. */
  boolean takeAnnouncedWhileStopped() {
    boolean was = announcedWhileStopped;
    announcedWhileStopped = false;
    return was;
  }

  void followLeader(LeaderConnection leader) {
    boolean running = node.isRunning();
    PostgresRole before = node.fileRole(true);
    upstream.follow(leader);
    // Following the remote primary of a standby cluster makes this member its standby leader.
    boolean toRemote = RemotePrimary.isRemote(leader);
    boolean roleChange = before != PostgresRole.REPLICA || toRemote != standbyLeader;
    if (!running) {
      // A start that changes the role says so with on_role_change instead of on_start.
      process.start(!roleChange && !announcedWhileStopped);
    } else if (before == PostgresRole.PRIMARY) {
      process.stopQuietly();
      process.start(false);
    } else {
      config.reloadServer();
    }
    announcedWhileStopped = false;
    if (roleChange) {
      roleChanged(toRemote ? "standby_leader" : PostgresRole.REPLICA.patroniName());
    }
  }

  private void roleChanged(String role) {
    standbyLeader = role.equals("standby_leader");
    node.callbacks.call(CallbackAction.ON_ROLE_CHANGE, role);
  }

  void announceDemoted() {
    roleChanged("demoted");
  }

  void demote(Optional<LeaderConnection> newLeader) {
    process.stop(StopMode.FAST, node.settings.pgCtlTimeout(), true);
    if (newLeader.isPresent()) {
      upstream.follow(newLeader.get());
      process.start(false);
    } else {
      // A later start() never comes up as a second primary.
      config.writeStandbyWithoutUpstream();
    }
    roleChanged(PostgresRole.REPLICA.patroniName());
    announcedWhileStopped = newLeader.isEmpty();
  }

  void promote(
      Duration timeout, BooleanSupplier mayPromote, Consumer<LocalPostgresState> onWritable) {
    PostgresSettings settings = node.settings;
    runPrePromote(settings.prePromote(), timeout);
    ServerStatus before = node.client.status();
    if (before.inRecovery()) {
      // Asked as late as possible: the lease may have lapsed since the decision.
      if (!mayPromote.getAsBoolean()) {
        throw new PromotionAbortedException("the leader lease lapsed before the promotion");
      }
      List<String> cmd = node.pgCtl("promote", "-W");
      CommandResult r = node.runner.run(cmd, Map.of(), timeout.plusSeconds(5));
      if (!r.succeeded()) {
        throw new PostgresException("pg_ctl promote failed: " + r.outputTail(3));
      }
      // Polled closely with the full status sample, and handed on from the check itself: write-
      // routing health checks wait for this answer, so no second query and no thread hand-off.
      boolean writable =
          node.promoteWaiter.await(
              () -> {
                ServerStatus now = node.client.status();
                if (now.inRecovery()) {
                  return false;
                }
                onWritable.accept(node.runningState(now));
                return true;
              },
              timeout);
      if (!writable) {
        throw new PostgresException(
            "PostgreSQL was promoted but is not writable within " + timeout.toSeconds() + " s");
      }
      config.standby(null);
    } else {
      config.standby(null);
      onWritable.accept(node.state());
    }
    config.write();
    config.reloadServer();
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
    roleChanged(PostgresRole.PRIMARY.patroniName());
  }

  private void runPrePromote(String prePromote, Duration timeout) {
    if (prePromote == null || prePromote.isBlank()) {
      return;
    }
    CommandResult r;
    try {
      r = node.runner.runScript(CommandLine.split(prePromote), Map.of(), timeout);
    } catch (PostgresException ex) {
      throw new PromotionAbortedException("pre_promote did not finish: " + ex.getMessage());
    }
    if (!r.succeeded()) {
      throw new PromotionAbortedException(
          "pre_promote exited with " + r.exitCode() + ": " + r.outputTail(3));
    }
  }
}
