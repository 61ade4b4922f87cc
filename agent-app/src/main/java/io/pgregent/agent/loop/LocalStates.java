package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.ha.LocalState;
import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.ha.ReplicationStatus;
import io.pgregent.core.ha.StandbyLink;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.TimelineHistoryFile;
import io.pgregent.postgres.status.ServerStatus;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/** Puts a PostgreSQL sample into the decider's terms ({@link LocalState}) and Patroni's names. */
final class LocalStates {

  private final PostgresPort postgres;
  private final ConfigInForce config;
  private final LoopState state;
  private final Supplier<Optional<String>> task;

  LocalStates(
      PostgresPort postgres,
      ConfigInForce config,
      LoopState state,
      Supplier<Optional<String>> task) {
    this.postgres = postgres;
    this.config = config;
    this.state = state;
    this.task = task;
  }

  /**
   * The state peers and tools see: "creating replica" while a reinitialize runs, whatever the data
   * directory shows meanwhile ({@code patronictl reinit --wait} waits on it).
   */
  static String publishedState(LocalPostgresState pg, boolean paused, Optional<String> task) {
    return task.filter(HaLoop.REINITIALIZE_TASK::equals).isPresent()
        ? "creating replica"
        : stateName(pg, paused);
  }

  /** Patroni's {@code state} of a member. */
  static String stateName(LocalPostgresState pg, boolean paused) {
    if (!pg.dataDirectoryInitialized()) {
      return "stopped";
    }
    return switch (pg.runState()) {
      case RUNNING -> pg.server().isPresent() ? "running" : "starting";
      // In pause the operator owns PostgreSQL: however it went down, it is stopped, not crashed
      // (nothing will recover it until the operator starts it).
      case CRASHED -> paused ? "stopped" : "crashed";
      default -> "stopped";
    };
  }

  /** Remembers since when the primary we lead for has been down, for primary_start_timeout. */
  void trackPrimaryDown(Optional<ClusterView> view, LocalState local, long nowNanos) {
    boolean leader = view.map(v -> v.isLockedBy(config.local().name())).orElse(false);
    if (leader && local.run() != PostgresRunState.RUNNING) {
      if (state.memory.primaryDownSinceNanos().isEmpty()) {
        state.memory = state.memory.withPrimaryDownSince(OptionalLong.of(nowNanos));
      }
    } else if (state.memory.primaryDownSinceNanos().isPresent()) {
      state.memory = state.memory.withPrimaryDownSince(OptionalLong.empty());
    }
  }

  LocalState local(LocalPostgresState pg) {
    PostgresRunState run;
    if (!pg.dataDirectoryInitialized()) {
      run = PostgresRunState.NO_DATA;
    } else if (pg.runState() == RunState.RUNNING) {
      run = pg.server().isPresent() ? PostgresRunState.RUNNING : PostgresRunState.STARTING;
    } else if (pg.runState() == RunState.CRASHED) {
      run = PostgresRunState.CRASHED;
    } else {
      run = PostgresRunState.STOPPED;
    }
    Optional<ServerStatus> s = pg.server();
    boolean inRecovery = s.map(ServerStatus::inRecovery).orElse(pg.role() == PostgresRole.REPLICA);
    long wal =
        s.map(x -> x.inRecovery() ? Math.max(x.receiveLsn(), x.replayLsn()) : x.currentLsn())
            .orElse(0L);
    Optional<String> sysid = pg.systemIdentifier();
    if (sysid.isEmpty() && pg.dataDirectoryInitialized() && run != PostgresRunState.RUNNING) {
      try {
        String id = postgres.controlData().systemIdentifier();
        sysid = id.isEmpty() ? Optional.empty() : Optional.of(id);
      } catch (RuntimeException e) {
        sysid = Optional.empty();
      }
    }
    int timeline = s.map(ServerStatus::timeline).orElse(0);
    return new LocalState(
        run,
        inRecovery,
        sysid,
        timeline,
        wal,
        Optional.ofNullable(state.following),
        s.map(ServerStatus::streaming).orElse(false),
        task.get(),
        replication(s),
        lineage(timeline),
        state.mayHaveDiverged);
  }

  /** The switches that led to {@code timeline}, from its history file (a few lines). */
  private List<TimelineHistory.Entry> lineage(int timeline) {
    return TimelineHistoryFile.switchesBefore(postgres.dataDir(), timeline).stream()
        .map(x -> new TimelineHistory.Entry(x.timeline(), x.lsn(), x.reason(), null, null))
        .toList();
  }

  /** A primary's standbys and the {@code synchronous_standby_names} we put in force. */
  private ReplicationStatus replication(Optional<ServerStatus> server) {
    boolean primary = server.map(x -> !x.inRecovery()).orElse(false);
    if (!primary) {
      state.syncMark = -1;
      return new ReplicationStatus(postgres.synchronousStandbyNames(), -1, List.of());
    }
    if (state.syncMark < 0) {
      state.syncMark = server.get().currentLsn();
    }
    boolean apply =
        config
            .dynamic()
            .data()
            .path("postgresql")
            .path("parameters")
            .path("synchronous_commit")
            .asText("")
            .trim()
            .equalsIgnoreCase("remote_apply");
    List<StandbyLink> links =
        server.get().replication().stream()
            .filter(r -> r.applicationName() != null && !r.applicationName().isBlank())
            .map(
                r ->
                    new StandbyLink(
                        r.applicationName(),
                        r.state(),
                        r.syncState(),
                        r.flushLsn(),
                        apply ? r.replayLsn() : r.flushLsn()))
            .toList();
    return new ReplicationStatus(postgres.synchronousStandbyNames(), state.syncMark, links);
  }
}
