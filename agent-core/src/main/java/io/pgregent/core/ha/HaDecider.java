package io.pgregent.core.ha;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import java.util.Optional;

/**
 * The HA decision: a pure function of what the agent knows, returning one action and the reason. No
 * IO, no clock reads, no threads: the loop calls it again after each action that changed something,
 * with the outcome recorded in {@link CycleFacts}.
 *
 * <p>When in doubt it demotes, never promotes: a primary that cannot prove it holds the lock stops
 * being writable before the lock could pass to another member.
 *
 * <p>Groups of rules live beside it: {@link LeaderRace}, {@link TimelineLineage}, {@link
 * ClusterBootstrap}, {@link ManualFailover}, {@link StandbyLeader}, {@link SyncStandbyResolver}.
 */
public final class HaDecider {

  private HaDecider() {}

  public static Decision decide(HaInput in) {
    return SyncStandbyResolver.beforePromotion(in, decideAction(in));
  }

  private static Decision decideAction(HaInput in) {
    LocalState local = in.local();
    HaSettings s = in.settings();
    if (local.task().isPresent()) {
      return taskRunning(in);
    }
    if (in.view().isEmpty()) {
      return storeUnreachable(in);
    }
    ClusterView view = in.view().get();
    Optional<String> clusterId = view.initialize().flatMap(i -> i.completed());
    if (clusterId.isPresent()
        && local.systemIdentifier().isPresent()
        && !clusterId.get().equals(local.systemIdentifier().get())
        && !s.paused()) {
      return Decision.of(
          new Action.Halt(),
          Reason.SYSTEM_ID_MISMATCH,
          local.systemIdentifier().get(),
          clusterId.get());
    }
    Optional<Leader> leader = view.leader();
    if (leader.isPresent() && leader.get().name().equals(s.member())) {
      return holdingLock(in, view);
    }
    if (leader.isPresent()) {
      return otherLeader(in, view, leader.get().name());
    }
    return noLeader(in, view);
  }

  /**
   * A long task (restart, re-clone) runs outside the loop: act on nothing, but a leader keeps its
   * lock so that a restart of the primary does not turn into a failover.
   */
  private static Decision taskRunning(HaInput in) {
    String task = in.local().task().get();
    Optional<String> lockHolder = in.view().flatMap(ClusterView::leader).map(l -> l.name());
    boolean leader = lockHolder.map(in.settings().member()::equals).orElse(false);
    if (leader) {
      Optional<Boolean> refreshed = in.cycle().lockRefreshed();
      if (refreshed.isEmpty()) {
        return Decision.of(new Action.RefreshLock(), Reason.REFRESHING_LOCK);
      }
      if (refreshed.get()) {
        return Decision.of(new Action.None(), Reason.TASK_RUNNING_LEADER, task);
      }
    }
    // A task never keeps a primary writable without the lock: it may not end before the lease.
    boolean writablePrimary =
        in.local().run() == PostgresRunState.RUNNING && !in.local().inRecovery();
    if (writablePrimary && !in.settings().paused()) {
      return in.view().isEmpty()
          ? Decision.of(
              new Action.Demote(Action.DemoteMode.OFFLINE), Reason.DEMOTING_DCS_UNREACHABLE)
          : Decision.of(
              lockHolder
                  .filter(holder -> !leader)
                  .map(holder -> demoteFor(in.view().get(), in.settings(), holder))
                  .orElse(new Action.Demote(Action.DemoteMode.IMMEDIATE_NOLOCK)),
              Reason.DEMOTED_LOCK_NOT_UPDATED);
    }
    return Decision.of(new Action.None(), Reason.TASK_RUNNING, task);
  }

  // ---- the store is down ----

  private static Decision storeUnreachable(HaInput in) {
    LocalState local = in.local();
    if (!local.isRunningPrimary() || in.settings().paused()) {
      return Decision.of(new Action.None(), Reason.DCS_UNREACHABLE);
    }
    if (in.settings().failsafeMode() && in.memory().wasLeader()) {
      Optional<Boolean> accepted = in.cycle().failsafeAccepted();
      if (accepted.isEmpty()) {
        return Decision.of(new Action.QueryFailsafe(), Reason.FAILSAFE_CHECK);
      }
      if (accepted.get()) {
        return Decision.of(new Action.None(), Reason.FAILSAFE_KEEPS_PRIMARY);
      }
    }
    return Decision.of(
        new Action.Demote(Action.DemoteMode.OFFLINE), Reason.DEMOTING_DCS_UNREACHABLE);
  }

  // ---- we hold the lock ----

  private static Decision holdingLock(HaInput in, ClusterView view) {
    LocalState local = in.local();
    HaSettings s = in.settings();
    Optional<Boolean> refreshed = in.cycle().lockRefreshed();
    if (refreshed.isEmpty()) {
      return Decision.of(new Action.RefreshLock(), Reason.REFRESHING_LOCK);
    }
    if (!refreshed.get()) {
      if (local.isRunningPrimary() && !s.paused()) {
        return Decision.of(
            new Action.Demote(Action.DemoteMode.IMMEDIATE_NOLOCK), Reason.DEMOTED_LOCK_NOT_UPDATED);
      }
      return Decision.of(new Action.None(), Reason.LOCK_NOT_UPDATED);
    }
    if (local.isRunningPrimary() || s.inStandbyCluster() && local.isRunningReplica()) {
      // A switchover inside a standby cluster hands the standby leader's lock over the same way.
      Optional<Decision> manual = ManualFailover.fromLeader(in, view);
      if (manual.isPresent()) {
        return manual.get();
      }
    }
    if (s.paused()) {
      // Maintenance mode leaves PostgreSQL to the operator, not the synchronous standbys: a
      // standby that falls behind or goes away still loses its place.
      if (local.isRunningPrimary()) {
        Optional<Decision> syncStep = SyncStandbyResolver.nextStep(in, view);
        if (syncStep.isPresent()) {
          return syncStep.get();
        }
      }
      return Decision.of(new Action.None(), Reason.PAUSED_LEADER, s.member());
    }
    if (s.inStandbyCluster()) {
      return StandbyLeader.holdingLock(in);
    }
    switch (local.run()) {
      case RUNNING:
        if (local.inRecovery()) {
          if (promotionFailedRecently(in)) {
            // Retrying every cycle would hold the lock forever: hand it back, keep out for a ttl.
            return Decision.of(new Action.ReleaseLock(), Reason.PROMOTION_FAILED_RELEASING_LOCK);
          }
          Optional<Decision> unsafe = writableNoLongerSafe(in, view);
          if (unsafe.isPresent()) {
            return unsafe.get();
          }
          return Decision.of(TimelineLineage.promotion(in), Reason.PROMOTED_BECAUSE_HAD_LOCK);
        }
        Optional<Decision> syncStep = SyncStandbyResolver.nextStep(in, view);
        if (syncStep.isPresent()) {
          return syncStep.get();
        }
        if (!in.cycle().historyRepaired()
            && TimelineLineage.historyLacksTimeline(view, local.timeline(), s.member())) {
          return Decision.of(
              new Action.RepairHistory(),
              Reason.REPAIRING_HISTORY,
              Long.toString(local.timeline()));
        }
        Optional<Long> unrecorded = TimelineLineage.historyLacksSwitch(view, local);
        if (!in.cycle().historyRepaired() && unrecorded.isPresent()) {
          return Decision.of(
              new Action.RepairHistory(),
              Reason.REPAIRING_HISTORY,
              Long.toString(unrecorded.get() + 1));
        }
        Optional<TimelineLineage.Parting> parting = TimelineLineage.partingFromHistory(view, local);
        if (!in.cycle().historyRepaired() && parting.isPresent()) {
          // Members compare their lineage with this key: it must be ours, to the byte.
          return Decision.of(
              new Action.RepairHistory(),
              Reason.HISTORY_DIFFERS_FROM_TIMELINE_FILE,
              Long.toString(parting.get().timeline()),
              TimelineLineage.lsn(parting.get().inHistory()),
              TimelineLineage.lsn(parting.get().local()));
        }
        return Decision.of(new Action.None(), Reason.LEADER_WITH_LOCK, s.member());
      case NO_DATA:
        return Decision.of(new Action.ReleaseLock(), Reason.NO_DATA_RELEASING_LOCK);
      case STARTING:
      case STOPPED:
      case CRASHED:
      default:
        if (in.cycle().primaryStartFailed()) {
          // Retrying a start that fails would hold the lock until primary_start_timeout.
          return Decision.of(new Action.ReleaseLock(true), Reason.PRIMARY_START_FAILED);
        }
        if (primaryStartTimedOut(in)) {
          return Decision.of(new Action.ReleaseLock(), Reason.PRIMARY_START_TIMED_OUT);
        }
        if (local.run() == PostgresRunState.STARTING) {
          return Decision.of(new Action.None(), Reason.WAITING_FOR_POSTGRES);
        }
        // Our stopped primary comes back writable: judged as a promotion would be.
        Optional<Decision> unsafeStart = writableNoLongerSafe(in, view);
        if (unsafeStart.isPresent()) {
          return unsafeStart.get();
        }
        return Decision.of(
            new Action.StartPostgres(false, null), Reason.STARTING_PRIMARY_AFTER_FAILURE);
    }
  }

  /**
   * A lock holder about to become writable (a standby's promotion, a stopped primary's start)
   * judges it again on this cycle's view. The race judged it on the view of its own cycle; a loop
   * that stalled (or a process frozen) between that race and the lock may have taken the lock long
   * after, while another member led and had commits acknowledged. In synchronous mode that member
   * claimed the {@code sync} key first: a key that does not name us (and we did not claim) means we
   * may lack acknowledged commits, so the lock goes back instead.
   */
  private static Optional<Decision> writableNoLongerSafe(HaInput in, ClusterView view) {
    HaSettings s = in.settings();
    if (!FailoverEligibility.syncActive(view, s)) {
      return Optional.empty();
    }
    String me = s.member();
    String keyLeader = view.sync().map(k -> k.leader()).orElse("");
    if (me.equalsIgnoreCase(keyLeader)) {
      return Optional.empty();
    }
    if (!FailoverEligibility.inSyncState(view, me)) {
      return Optional.of(
          Decision.of(new Action.ReleaseLock(), Reason.NOT_SYNC_STANDBY_RELEASING_LOCK, keyLeader));
    }
    if (s.sync().mode() != SyncSettings.Mode.QUORUM) {
      return Optional.empty();
    }
    if (in.cycle().peers().isEmpty()) {
      return Optional.of(
          Decision.of(
              new Action.QueryPeers(LeaderRace.peersToAsk(in, view)), Reason.QUERYING_PEERS));
    }
    java.util.Map<String, PeerStatus> peers =
        LeaderRace.rivalsInTheStore(in, view, in.cycle().peers().get());
    return FailoverEligibility.quorumRejection(view, s, in.local().walPosition(), peers.values())
        .map(
            no ->
                Decision.of(
                    new Action.ReleaseLock(),
                    Reason.QUORUM_NOT_REACHED_RELEASING_LOCK,
                    no.args().toArray(String[]::new)));
  }

  /** The leader's member key says it runs as the primary (Patroni before 3.0 said master). */
  private static boolean leaderRunsAsPrimary(ClusterView view, String leader) {
    return view.member(leader)
        .flatMap(Member::role)
        .map(r -> r.equals("primary") || r.equals("master"))
        .orElse(false);
  }

  /**
   * Whether a primary's data may join {@code leader} now. Joining may rewind it onto the leader's
   * timeline: a lock holder that has not promoted may never do so (it may hand the lock back), and
   * our WAL may hold the only copy of acknowledged commits.
   */
  private static boolean mayJoin(ClusterView view, HaSettings s, String leader) {
    return s.inStandbyCluster() || leaderRunsAsPrimary(view, leader);
  }

  /** A primary steps down for {@code leader}: joins it at once only when it may. */
  private static Action.Demote demoteFor(ClusterView view, HaSettings s, String leader) {
    return new Action.Demote(
        Action.DemoteMode.IMMEDIATE_NOLOCK, mayJoin(view, s, leader) ? leader : null);
  }

  private static boolean primaryStartTimedOut(HaInput in) {
    return in.memory().primaryDownSinceNanos().stream()
        .anyMatch(
            since ->
                in.nowNanos() - since >= in.settings().primaryStartTimeoutMillis() * 1_000_000L);
  }

  // ---- another member holds the lock ----

  private static Decision otherLeader(HaInput in, ClusterView view, String leader) {
    LocalState local = in.local();
    HaSettings s = in.settings();
    if (local.isRunningPrimary()) {
      if (s.paused()) {
        return Decision.of(new Action.None(), Reason.PAUSED_PRIMARY_WITHOUT_LOCK);
      }
      return Decision.of(demoteFor(view, s, leader), Reason.DEMOTING_NO_LOCK);
    }
    switch (local.run()) {
      case NO_DATA:
        if (view.member(leader).flatMap(m -> m.connUrl()).isEmpty()) {
          return Decision.of(new Action.None(), Reason.WAITING_FOR_LEADER_ADDRESS, leader);
        }
        String source = Upstream.toClone(view, s, leader);
        return Decision.of(
            new Action.CloneFromLeader(source, Upstream.toFollow(view, s, leader)),
            source.equals(leader) ? Reason.CLONING_FROM_LEADER : Reason.CLONING_FROM_REPLICA,
            source);
      case STOPPED:
      case CRASHED:
        // A switchover in pause stopped our primary for the candidate: it comes back as its
        // standby (the operator asked for the switchover, not for a stopped member).
        if (s.paused() && !in.memory().steppedDown()) {
          return Decision.of(new Action.None(), Reason.PAUSED_POSTGRES_NOT_RUNNING);
        }
        if (local.hasPrimaryData() && !mayJoin(view, s, leader)) {
          return Decision.of(new Action.None(), Reason.WAITING_FOR_LEADER_TO_PROMOTE, leader);
        }
        return joining(
            view,
            leader,
            Decision.of(new Action.StartPostgres(true, leader), Reason.STARTING_AS_SECONDARY));
      case STARTING:
        if (unqueryablePrimary(local, s)) {
          return Decision.of(demoteFor(view, s, leader), Reason.UNQUERYABLE_PRIMARY_WITHOUT_LOCK);
        }
        return Decision.of(new Action.None(), Reason.WAITING_FOR_POSTGRES);
      case RUNNING:
      default:
        if (local.formerPrimary() && !s.paused() && !mayJoin(view, s, leader)) {
          // A former primary running read-only: following may rewind it, as above.
          return Decision.of(new Action.None(), Reason.WAITING_FOR_LEADER_TO_PROMOTE, leader);
        }
        Optional<Long> forkedAt = TimelineLineage.divergedFrom(view, leader, local);
        if (forkedAt.isPresent() && !s.paused()) {
          return joining(
              view,
              leader,
              Decision.of(
                  new Action.Rejoin(leader),
                  Reason.DIVERGED_FROM_LEADER,
                  Long.toString(local.timeline()),
                  TimelineLineage.lsn(forkedAt.get()),
                  leader));
        }
        if (TimelineLineage.onAbandonedTimeline(view, leader, local) && !s.paused()) {
          return joining(
              view,
              leader,
              Decision.of(
                  new Action.Rejoin(leader),
                  Reason.TIMELINE_NOT_IN_LEADER_HISTORY,
                  Long.toString(local.timeline()),
                  leader));
        }
        Optional<TimelineLineage.Parting> parting =
            TimelineLineage.partingFromLeader(view, leader, local);
        if (parting.isPresent() && !s.paused()) {
          return joining(
              view,
              leader,
              Decision.of(
                  new Action.Rejoin(leader),
                  Reason.FORKED_OFF_LEADER_LINEAGE,
                  Long.toString(parting.get().timeline()),
                  TimelineLineage.lsn(parting.get().local()),
                  TimelineLineage.lsn(parting.get().inHistory()),
                  leader));
        }
        Optional<Long> leftAt = TimelineLineage.pastLeaderTimeline(view, leader, local);
        if (leftAt.isPresent() && !s.paused()) {
          String ours = Long.toString(local.timeline());
          String theirs = Long.toString(TimelineLineage.leaderTimeline(view, leader));
          if (leftAt.get() < 0) {
            return joining(
                view,
                leader,
                Decision.of(
                    new Action.Rejoin(leader),
                    Reason.NEVER_ON_LEADER_TIMELINE,
                    ours,
                    theirs,
                    leader));
          }
          // Both lineages may have begun the leader's timeline number at one point: pg_rewind
          // would take their WAL after it for one and rewind too little. Only a new copy is safe.
          return Decision.of(
              new Action.None(),
              Reason.PAST_LEADER_TIMELINE,
              ours,
              theirs,
              TimelineLineage.lsn(leftAt.get()));
        }
        String upstream = Upstream.toFollow(view, s, leader);
        if (!local.upstream().map(upstream::equals).orElse(false) && !s.paused()) {
          return joining(
              view,
              upstream,
              upstream.equals(leader)
                  ? Decision.of(
                      new Action.FollowLeader(leader), Reason.FOLLOWING_NEW_LEADER, leader)
                  : Decision.of(
                      new Action.FollowLeader(upstream),
                      Reason.FOLLOWING_REPLICATEFROM,
                      upstream,
                      leader));
        }
        return Decision.of(
            new Action.None(),
            s.paused()
                ? Reason.PAUSED_SECONDARY
                : s.inStandbyCluster() ? Reason.FOLLOWING_STANDBY_LEADER : Reason.FOLLOWING_LEADER,
            s.member(),
            leader);
    }
  }

  /**
   * {@code decision} joins {@code target}, which needs its address: until its member key publishes
   * one (a new leader's key may lag its lock, after the keys expired in a store outage), wait.
   */
  private static Decision joining(ClusterView view, String target, Decision decision) {
    if (view.member(target).flatMap(m -> m.connUrl()).isEmpty()) {
      return Decision.of(new Action.None(), Reason.WAITING_FOR_LEADER_ADDRESS, target);
    }
    return decision;
  }

  // ---- nobody holds the lock ----

  private static Decision noLeader(HaInput in, ClusterView view) {
    LocalState local = in.local();
    HaSettings s = in.settings();
    CycleFacts cycle = in.cycle();
    if (local.run() == PostgresRunState.NO_DATA) {
      return ClusterBootstrap.emptyDataDirectory(in, view);
    }
    if (local.run() == PostgresRunState.RUNNING && promotionFailedRecently(in)) {
      return Decision.of(new Action.None(), Reason.PROMOTION_BACKOFF);
    }
    if (local.run() == PostgresRunState.RUNNING
        && s.mayPromote()
        && !LeaderRace.keepsFailsafePromise(in, view)
        && ManualFailover.iAmTheCandidate(in, view)) {
      // Named by a switchover or failover (also in maintenance mode): no race, no lag check.
      if (cycle.lockAcquired().isPresent()) {
        return LeaderRace.lockRaceOutcome(in, cycle.lockAcquired().get());
      }
      if (s.sync().mode() == SyncSettings.Mode.QUORUM && FailoverEligibility.syncActive(view, s)) {
        // In quorum mode a voter may lack commits the others acknowledged: the same votes as in
        // the race must show that it holds every one before it takes over.
        if (cycle.peers().isEmpty()) {
          return Decision.of(
              new Action.QueryPeers(LeaderRace.peersToAsk(in, view)), Reason.QUERYING_PEERS);
        }
        Optional<Decision> noQuorum =
            FailoverEligibility.quorumRejection(
                view,
                s,
                local.walPosition(),
                LeaderRace.rivalsInTheStore(in, view, cycle.peers().get()).values());
        if (noQuorum.isPresent()) {
          return noQuorum.get();
        }
      }
      return Decision.of(new Action.AcquireLock(), Reason.MANUAL_FAILOVER_CANDIDATE);
    }
    if (s.paused()) {
      // Nothing is promoted in pause, but a running primary of this cluster takes the free lock.
      boolean ours =
          view.initialize().flatMap(i -> i.completed()).isEmpty()
              || view.initialize().flatMap(i -> i.completed()).equals(local.systemIdentifier());
      if (local.isRunningPrimary() && ours) {
        if (cycle.lockAcquired().isEmpty()) {
          return Decision.of(new Action.AcquireLock(), Reason.ACQUIRING_LOCK);
        }
        return LeaderRace.lockRaceOutcome(in, cycle.lockAcquired().get());
      }
      return Decision.of(new Action.None(), Reason.PAUSED_NO_LEADER, s.member());
    }
    if (local.run() == PostgresRunState.STOPPED || local.run() == PostgresRunState.CRASHED) {
      if (!local.inRecovery()
          && view.initialize().isEmpty()
          && s.mayPromote()
          && !s.inStandbyCluster()) {
        // An existing primary and a store that knows no cluster: adopt it as it is, lock first.
        if (cycle.lockAcquired().isEmpty()) {
          return Decision.of(new Action.AcquireLock(), Reason.ADOPTING_PRIMARY);
        }
        if (cycle.lockAcquired().get()) {
          return Decision.of(
              new Action.StartPostgres(false, null), Reason.STARTING_ADOPTED_PRIMARY);
        }
        return Decision.of(new Action.None(), Reason.LOST_LOCK_RACE);
      }
      // Never start writable without the lock: start read-only and race once running.
      return Decision.of(new Action.StartPostgres(true, null), Reason.STARTING_AS_SECONDARY);
    }
    if (local.run() == PostgresRunState.STARTING) {
      if (unqueryablePrimary(local, s)) {
        return Decision.of(
            new Action.Demote(Action.DemoteMode.IMMEDIATE_NOLOCK),
            Reason.UNQUERYABLE_PRIMARY_WITHOUT_LOCK);
      }
      return Decision.of(new Action.None(), Reason.WAITING_FOR_POSTGRES);
    }
    if (s.failsafeMode() && LeaderRace.failsafeHeartbeatFresh(in)) {
      // The old primary runs on in failsafe mode and we vouched for it: racing would make two.
      return Decision.of(new Action.None(), Reason.FAILSAFE_LEADER_ALIVE, s.member());
    }
    if (LeaderRace.restartedWithinFailsafePromise(in, view)) {
      if (cycle.peers().isEmpty()) {
        // Whether the members we may have vouched for all run standbys decides if we may race.
        return Decision.of(
            new Action.QueryPeers(LeaderRace.peersToAsk(in, view)), Reason.QUERYING_PEERS);
      }
      return Decision.of(new Action.None(), Reason.FAILSAFE_PROMISE_AFTER_START, s.member());
    }
    if (cycle.lockAcquired().isPresent()) {
      return LeaderRace.lockRaceOutcome(in, cycle.lockAcquired().get());
    }
    if (local.isRunningPrimary() && !cycle.viewReread()) {
      // Our lock lapsed: judge the timeline on a view read now, not at the start of the cycle.
      return Decision.of(new Action.ReadView(), Reason.REREADING_BEFORE_RETAKING_LOCK);
    }
    if (cycle.peers().isEmpty()
        && s.mayPromote()
        && FailoverEligibility.outsideFailsafeTopology(view, local, s)) {
      // Whether the members the failsafe key names all run standbys decides if we may race.
      return Decision.of(
          new Action.QueryPeers(LeaderRace.peersToAsk(in, view)), Reason.QUERYING_PEERS);
    }
    Optional<Decision> rejected = FailoverEligibility.rejection(view, local, s, cycle.peers());
    if (rejected.isPresent()) {
      return rejected.get();
    }
    if (cycle.peers().isEmpty()) {
      return Decision.of(
          new Action.QueryPeers(LeaderRace.peersToAsk(in, view)), Reason.QUERYING_PEERS);
    }
    java.util.Map<String, PeerStatus> peers =
        LeaderRace.rivalsInTheStore(in, view, cycle.peers().get());
    Optional<Decision> aside = ManualFailover.standAside(in, view, peers);
    if (aside.isPresent()) {
      return aside.get();
    }
    java.util.List<PeerStatus> rivals =
        FailoverEligibility.rivals(view, s, ManualFailover.rivals(in, view, peers));
    // A running primary (its timeline judged above) is behind none of its standbys, which hold
    // only what it sent them; its WAL sample, taken at the start of the cycle, is (as Patroni).
    Optional<Decision> outranked =
        local.isRunningPrimary()
            ? CandidateRanking.anotherPrimary(rivals)
            : CandidateRanking.outranked(local.walPosition(), s.failoverPriority(), rivals);
    if (outranked.isPresent()) {
      return outranked.get();
    }
    Optional<Decision> noQuorum =
        FailoverEligibility.quorumRejection(view, s, local.walPosition(), peers.values());
    if (noQuorum.isPresent()) {
      return noQuorum.get();
    }
    return Decision.of(new Action.AcquireLock(), Reason.ACQUIRING_LOCK);
  }

  /**
   * A postmaster that runs as a primary (no standby configuration) but does not answer our queries
   * (superuser locked out, connection limit, timeouts): without the lock it may be taking writes
   * that nobody vouches for, so it is stopped. A member never starts a primary without the lock, so
   * this is never a primary still starting up.
   */
  private static boolean unqueryablePrimary(LocalState local, HaSettings s) {
    return local.run() == PostgresRunState.STARTING && !local.inRecovery() && !s.paused();
  }

  private static boolean promotionFailedRecently(HaInput in) {
    return in.memory().promotionFailedNanos().stream()
        .anyMatch(at -> in.nowNanos() - at < in.settings().ttlMillis() * 1_000_000L);
  }
}
