package io.pgregent.agent.loop;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.config.StandbyCluster;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.ha.Action;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.RewindOutcome;
import io.pgregent.postgres.StopMode;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings PostgreSQL up in the role the decider chose: a new replica (a copy of the leader or from
 * an archive), a start, following a leader, or rejoining it (rewound when it may have diverged).
 */
final class ReplicaSetup {

  private static final Logger log = LoggerFactory.getLogger(ReplicaSetup.class);
  static final Duration LONG_TASK = Duration.ofMinutes(30);

  private final Dcs dcs;
  private final PostgresPort postgres;
  private final LoopState state;
  private final LoopHooks hooks;
  private final RenewingWorker worker;
  private final Clock clock;

  ReplicaSetup(
      Dcs dcs,
      PostgresPort postgres,
      LoopState state,
      LoopHooks hooks,
      RenewingWorker worker,
      Clock clock) {
    this.dcs = dcs;
    this.postgres = postgres;
    this.state = state;
    this.hooks = hooks;
    this.worker = worker;
    this.clock = clock;
  }

  /**
   * A new replica copied from {@code source}, started to stream from {@code upstream}. Streaming
   * from the source first would leave hot-standby feedback (an {@code xmin}) on a slot there that
   * the replica does not use afterwards.
   */
  void cloneFrom(ClusterView view, String source, String upstream) {
    postgres.createReplica(connection(view, source), LONG_TASK);
    if (upstream.equals(source)) {
      postgres.start();
    } else {
      postgres.followLeader(connection(view, upstream));
    }
    state.following = upstream;
  }

  /** A new replica made without a leader (e.g. from an archive), started with no upstream. */
  void cloneWithoutLeader() {
    postgres.createReplica(null, LONG_TASK);
    postgres.start();
    state.following = null;
  }

  void follow(ClusterView view, String leader) {
    if (state.mayHaveDiverged && postgres.usePgRewind()) {
      // A primary's data running read-only: pg_rewind says whether it can follow as it is.
      rejoinDiverged(view, leader);
      return;
    }
    postgres.followLeader(connection(view, leader));
    state.following = leader;
    state.mayHaveDiverged = false;
  }

  void start(Action.StartPostgres a, Optional<ClusterView> view) {
    startPostgres(a, view);
    // Started again, however: a later stop is the operator's, not our switchover's.
    state.memory = state.memory.withSteppedDown(false);
  }

  private void startPostgres(Action.StartPostgres a, Optional<ClusterView> view) {
    if (!a.asReplica()) {
      // Crash recovery can outlast the ttl: the lock is renewed meanwhile, but only up to
      // primary_start_timeout after the primary went down; then another member takes over.
      long downSince = state.memory.primaryDownSinceNanos().orElse(clock.nanoTime());
      long giveUpAt = downSince + hooks.primaryStartTimeout().toNanos();
      // The lease is asked again right before the server starts: the loop may have been held up
      // since the executor asked (a freeze), and a start then must not make it writable.
      if (!worker.run("start", () -> postgres.start(hooks::leaseHeld), OptionalLong.of(giveUpAt))) {
        log.info("demoting self because primary startup is taking too long");
        // The start's commands were killed; a postmaster that got further is stopped here.
        postgres.emergencyStop(postgres.settings().pgCtlTimeout());
        state.holdsLock = false;
        try {
          dcs.release();
        } catch (DcsException e) {
          log.warn("could not release the leader lock: {}", e.getMessage());
        }
      }
      return;
    }
    if (a.leader() != null) {
      rejoin(view.orElseThrow(), connection(view.orElseThrow(), a.leader()));
      state.following = a.leader();
      return;
    }
    // No leader to follow: come up read-only, never as a second primary.
    Optional<StandbyCluster> standby = hooks.standbyCluster().filter(StandbyCluster::streams);
    if (standby.isPresent()
        && view.isPresent()
        && postgres.state().role() == PostgresRole.PRIMARY) {
      // A primary's data joining a standby cluster: its WAL may go past the point where the remote
      // primary's timeline forked off, and it would never stream. Rewound first, as a member
      // joining its leader (pg_rewind says when nothing needs rewinding).
      rejoin(view.get(), StandbyLeaderExecutor.remotePrimary(standby.get()).connection());
      state.following = null;
      return;
    }
    if (postgres.state().role() == PostgresRole.PRIMARY) {
      postgres.demote(Optional.empty());
      // Its WAL may go past where the next leader's timeline forks off: checked when it follows.
      state.mayHaveDiverged = true;
    }
    postgres.start();
    state.following = null;
  }

  /**
   * A stopped member joins the leader, rewound first when it may have diverged: it was a primary,
   * or the leader is on a later timeline than our last checkpoint (a standby can have received WAL
   * past the point where the new leader's timeline forked off). pg_rewind itself says when nothing
   * needs rewinding.
   */
  void rejoin(ClusterView view, LeaderConnection leader) {
    // A crashed standby's control data names the timeline of its last restartpoint: recover first.
    postgres.recoverCrashedStandby();
    boolean wasPrimary = postgres.state().role() == PostgresRole.PRIMARY || state.mayHaveDiverged;
    long leaderTimeline = view.member(leader.name()).flatMap(Member::timeline).orElse(0L);
    long ourTimeline = postgres.controlData().checkpointTimeline();
    boolean timelineMoved = leaderTimeline > ourTimeline;
    if ((wasPrimary || timelineMoved) && postgres.usePgRewind()) {
      RewindOutcome outcome = postgres.rewind(leader, LONG_TASK);
      log.info("rejoining {}: {}", leader.name(), outcome);
      postgres.start();
    } else {
      postgres.followLeader(leader);
    }
    state.mayHaveDiverged = false;
  }

  /** A running standby that diverged from the leader: stop it, then rejoin as a stopped one. */
  void rejoinDiverged(ClusterView view, String leader) {
    LeaderConnection conn = connection(view, leader);
    postgres.stop(StopMode.FAST, postgres.settings().pgCtlTimeout());
    if (postgres.usePgRewind()) {
      state.mayHaveDiverged = true;
      rejoin(view, conn);
    } else {
      // Throws, keeping the data, unless remove_data_directory_on_diverged_timelines allows it.
      postgres.recloneOnDivergedTimelines(conn, LONG_TASK);
      postgres.start();
      state.mayHaveDiverged = false;
    }
    state.following = leader;
  }

  /** Where to reach a member's PostgreSQL, from its {@code conn_url}. */
  static LeaderConnection connection(ClusterView view, String member) {
    Member m =
        view.member(member)
            .orElseThrow(() -> new IllegalStateException("no member key for " + member));
    String url =
        m.connUrl().orElseThrow(() -> new IllegalStateException(member + " has no conn_url"));
    URI uri = URI.create(url);
    return new LeaderConnection(member, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
  }
}
