package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.Timings;
import io.pgregent.core.ha.HaSettings;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.config.DynamicPostgresConfig;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration in force: the local one (reloaded in part without a restart) and the
 * cluster-wide one from the store, applied to the store's timings and to PostgreSQL when it
 * changes.
 */
final class ConfigInForce {

  private static final Logger log = LoggerFactory.getLogger(ConfigInForce.class);

  private final Dcs dcs;
  private final PostgresPort postgres;

  /** Replaced when the local configuration is reloaded (the parts that apply without restart). */
  private volatile AgentConfig local;

  private volatile DynamicConfig dynamic;
  private boolean applied;
  private final LocalSettingsReload settingsReload;

  ConfigInForce(Dcs dcs, PostgresPort postgres, AgentConfig local) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.local = local;
    this.settingsReload = new LocalSettingsReload(postgres);
    this.dynamic = DynamicConfig.parse(local.bootstrapDcs()).config();
  }

  AgentConfig local() {
    return local;
  }

  DynamicConfig dynamic() {
    return dynamic;
  }

  /**
   * Applies a re-read local configuration: the tags take effect at once; the other sections are
   * recorded for {@link #applyPendingReload()}. True: the loop should look again.
   */
  synchronized boolean reloadLocal(AgentConfig fresh) {
    AgentConfig current = local;
    if (!fresh.tags().equals(current.tags())) {
      log.info("tags changed on reload: {}", fresh.tags().published());
      local = current.withTags(fresh.tags());
    }
    settingsReload.submit(fresh);
    return true;
  }

  /**
   * Puts a recorded reload in force (PostgreSQL's files, REST credentials, log levels); called on
   * the loop's thread, where no action runs on PostgreSQL meanwhile.
   */
  void applyPendingReload() {
    AgentConfig current = local;
    AgentConfig reloaded = settingsReload.applyPending(current);
    if (reloaded != current) {
      synchronized (this) {
        local = reloaded.withTags(local.tags());
      }
    }
  }

  /** Brings the cluster-wide configuration in {@code view} (if any) into force. */
  void apply(Optional<ClusterView> view) {
    if (!applied) {
      // PostgreSQL gets the cluster-wide parameters before anything starts it, bootstrap included.
      applyPostgres(dynamic);
      applyProbeTimeout(dynamic);
      applied = true;
    }
    view.flatMap(ClusterView::config).ifPresent(c -> applyDynamic(c.settings()));
  }

  /**
   * {@code patroni.dynamic.json}: rewritten whenever its content differs (a clone brings the
   * source's file along), compared on a file of a few hundred bytes.
   */
  void saveDynamic() {
    try {
      postgres.saveDynamicConfig(io.pgregent.core.dcs.ClusterCodec.json(dynamic.data()));
    } catch (RuntimeException e) {
      log.warn("could not save patroni.dynamic.json: {}", e.toString());
    }
  }

  /** The decider's settings from the configuration in force. */
  HaSettings haSettings() {
    AgentConfig config = local;
    return dynamic
        .haSettings(config.name(), config.tags().nofailover(), config.tags().failoverPriority())
        .withReplicationTags(config.tags().replicatefrom(), config.tags().nostream())
        .withCloneWithoutLeader(
            postgres != null
                && postgres.settings().createReplicaMethods().stream()
                    .anyMatch(postgres::canCloneWithoutLeader));
  }

  private void applyDynamic(DynamicConfig next) {
    if (next.data().equals(dynamic.data())) {
      return;
    }
    dynamic = next;
    Timings timings = next.timings();
    timings.warning().ifPresent(log::warn);
    dcs.setTimings(timings.dcsTimings());
    applyPostgres(next);
    applyProbeTimeout(next);
  }

  /**
   * How long the loop's status read may wait for a new connection to PostgreSQL: half of
   * retry_timeout (at least a second), so that a server that refuses or ignores logins costs a
   * cycle a little time, and the loop goes on renewing its lease and deciding.
   */
  static Duration probeTimeout(DynamicConfig config) {
    return Duration.ofMillis(Math.max(1000L, config.retryTimeout() * 500L));
  }

  private void applyProbeTimeout(DynamicConfig config) {
    if (postgres != null) {
      postgres.probeTimeout(probeTimeout(config));
    }
  }

  /** What PostgreSQL takes from the dynamic configuration. */
  static DynamicPostgresConfig postgresConfig(DynamicConfig config) {
    DynamicConfig.Postgresql pg = config.postgresql();
    return new DynamicPostgresConfig(
        pg.parameters(),
        pg.usePgRewind(),
        pg.useSlots(),
        config.physicalSlots(),
        config.logicalSlots());
  }

  private void applyPostgres(DynamicConfig config) {
    try {
      if (postgres.configure(postgresConfig(config))) {
        log.info("applied the cluster-wide PostgreSQL configuration");
      }
    } catch (RuntimeException e) {
      log.warn("could not apply the cluster-wide PostgreSQL configuration: {}", e.getMessage());
    }
  }
}
