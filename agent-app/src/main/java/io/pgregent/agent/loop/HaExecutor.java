package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.core.ha.Action;
import io.pgregent.core.ha.CycleFacts;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.TaskRunner;
import io.pgregent.postgres.PostgresPort;
import io.pgregent.postgres.PostmasterStillPresentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the decider's actions against the store and PostgreSQL. Thin: every choice was made
 * by the decider; this only dispatches each action to the class that does its IO ({@link
 * LockKeeper}, {@link RoleChanges}, {@link ReplicaSetup}, {@link HistoryKeeper}, {@link
 * SyncUpdater}) and reports what happened.
 */
final class HaExecutor {

  private static final Logger log = LoggerFactory.getLogger(HaExecutor.class);

  /**
   * What executing an action changed.
   *
   * @param facts the cycle's facts with the action's outcome
   * @param gathering the action only gathered facts: decide again in this cycle
   * @param storeLost the store stopped answering: decide again as without a view
   */
  record Outcome(CycleFacts facts, boolean gathering, boolean storeLost) {
    Outcome(CycleFacts facts, boolean gathering) {
      this(facts, gathering, false);
    }
  }

  private final Dcs dcs;
  private final AgentConfig config;
  private final PeerCalls peers;
  private final LoopState state;
  private final LoopHooks hooks;
  private final Clock clock;
  private final LockKeeper lock;
  private final RenewingWorker worker;
  private final ReplicaSetup replicas;
  private final RoleChanges roles;
  private final HistoryKeeper history;
  private final SyncUpdater sync;
  private final StandbyLeaderExecutor standby;

  HaExecutor(
      Dcs dcs,
      PostgresPort postgres,
      AgentConfig config,
      PeerCalls peers,
      LoopState state,
      LoopHooks hooks,
      TaskRunner runner,
      Clock clock) {
    this.dcs = dcs;
    this.config = config;
    this.peers = peers;
    this.state = state;
    this.hooks = hooks;
    this.clock = clock;
    this.lock = new LockKeeper(dcs, state, hooks, clock);
    this.worker = new RenewingWorker(config.name(), state, hooks, lock, clock, runner);
    this.replicas = new ReplicaSetup(dcs, postgres, state, hooks, worker, clock);
    this.history =
        new HistoryKeeper(dcs, postgres, config.name(), config.postgresql().dataDir(), clock);
    this.roles =
        new RoleChanges(
            dcs, postgres, config, state, hooks, lock, worker, replicas, history, runner, clock);
    this.sync = new SyncUpdater(dcs, postgres, state);
    this.standby =
        new StandbyLeaderExecutor(
            dcs,
            postgres,
            config,
            state,
            hooks::standbyCluster,
            worker::run,
            lock::acquireForBootstrap);
  }

  Outcome execute(Action action, Optional<ClusterView> view, CycleFacts facts) {
    if (action instanceof Action.RefreshLock) {
      try {
        return new Outcome(facts.withLockRefreshed(lock.refresh()), true);
      } catch (DcsUnreachableException e) {
        // Not a lost lock but a lost store: that is failsafe mode's case, not a demotion by CAS.
        log.warn("could not refresh the leader lock: {}", e.getMessage());
        return new Outcome(facts, true, true);
      }
    }
    if (action instanceof Action.AcquireLock) {
      boolean held = lock.acquire();
      if (held) {
        FailsafeTopology.takeOver(view, config.name(), state);
      }
      return new Outcome(facts.withLockAcquired(held), true);
    }
    if (action instanceof Action.RaceInitialize) {
      boolean won = dcs.compareAndSet(ClusterKey.INITIALIZE, 0, "");
      if (won) {
        state.memory = state.memory.withBootstrapping(true);
      }
      return new Outcome(facts.withInitializeWon(won), true);
    }
    if (action instanceof Action.QueryPeers a) {
      return new Outcome(facts.withPeers(peers.query(peerMembers(a))), true);
    }
    if (action instanceof Action.QueryFailsafe) {
      return new Outcome(facts.withFailsafeAccepted(queryFailsafe()), true);
    }
    if (action instanceof Action.RepairHistory) {
      history.repair(view.orElseThrow());
      return new Outcome(facts.withHistoryRepaired(), true);
    }
    if (action instanceof Action.Bootstrap) {
      roles.bootstrap();
    } else if (action instanceof Action.CloneFromLeader a) {
      replicas.cloneFrom(view.orElseThrow(), a.source(), a.upstream());
    } else if (action instanceof Action.CloneWithoutLeader) {
      replicas.cloneWithoutLeader();
    } else if (action instanceof Action.StartPostgres a) {
      boolean ourLock =
          view.flatMap(ClusterView::leader).map(l -> l.name().equals(config.name())).orElse(false);
      if (!a.asReplica() && ourLock && state.holdsLock) {
        if (!leaseHeld("start PostgreSQL as the primary")) {
          return new Outcome(facts, false);
        }
        // The decider hands the lock back rather than retrying a start that fails.
        try {
          replicas.start(a, view);
        } catch (PostmasterStillPresentException e) {
          // The killed postmaster is not reaped yet: the next cycle tries again (within
          // primary_start_timeout), this is no reason to hand the lock over.
          throw e;
        } catch (RuntimeException e) {
          log.error("starting the primary failed: {}", e.getMessage());
          return new Outcome(facts.withPrimaryStartFailed(), true);
        }
      } else {
        replicas.start(a, view);
      }
    } else if (action instanceof Action.Promote a) {
      if (!leaseHeld("promote")) {
        return new Outcome(facts, false);
      }
      roles.promote(view, a.reserveThrough());
    } else if (action instanceof Action.Demote a) {
      roles.demote(a, view);
    } else if (action instanceof Action.FollowLeader a) {
      replicas.follow(view.orElseThrow(), a.leader());
    } else if (action instanceof Action.ReleaseLock a) {
      roles.releaseLock(a);
    } else if (action instanceof Action.BootstrapStandbyLeader) {
      standby.bootstrap();
    } else if (action instanceof Action.FollowRemote) {
      standby.follow();
    } else if (action instanceof Action.DemoteToStandbyLeader) {
      standby.demote();
    } else if (action instanceof Action.Rejoin a) {
      replicas.rejoinDiverged(view.orElseThrow(), a.leader());
    } else if (action instanceof Action.StepDown a) {
      roles.stepDown(a, view.orElseThrow());
    } else if (action instanceof Action.ClearFailover) {
      roles.clearFailover(view.orElseThrow());
    } else if (action instanceof Action.Halt) {
      state.halted = true;
    } else if (action instanceof Action.WriteSyncState a) {
      sync.write(a);
    } else if (action instanceof Action.DeleteSyncState a) {
      sync.delete(a);
    } else if (action instanceof Action.SetSyncStandbyNames a) {
      sync.setStandbyNames(a);
    } else if (!(action instanceof Action.None)) {
      throw new IllegalStateException("no handler for " + action);
    }
    return new Outcome(facts, false);
  }

  /**
   * Whether PostgreSQL may become writable: the lease the last renewal vouched for has not run out.
   * A loop that stalled between renewing the lock and acting on it (a long pause, a store call that
   * answered late) may be past it, and the lock another member's by now; the next cycle renews
   * first.
   */
  private boolean leaseHeld(String what) {
    if (hooks.leaseHeld()) {
      return true;
    }
    log.warn("not going to {}: the lease deadline passed since the lock was renewed", what);
    return false;
  }

  private static List<Member> peerMembers(Action.QueryPeers action) {
    List<Member> others = new ArrayList<>();
    action
        .members()
        .forEach(
            (name, url) -> {
              ObjectNode data = ClusterCodec.nodes().objectNode();
              data.put("api_url", url);
              others.add(Member.of(name, data));
            });
    return others;
  }

  /** Whether every member the failsafe topology lists accepts us as the leader. */
  private boolean queryFailsafe() {
    long sent = clock.nanoTime();
    // Without a published topology nobody vouches for us: demote. A topology of ourselves alone
    // (one member) has nobody who could take over, as in Patroni.
    boolean accepted =
        FailsafeClient.vouched(
            state.failsafeListed,
            state.failsafeMembers,
            others ->
                peers.allAcceptFailsafe(
                    config.name(),
                    "postgres://" + config.postgresql().connectAddress() + "/postgres",
                    config.restapi().apiUrl(),
                    others,
                    state.failsafeSlots.get(),
                    state.failsafeLsns));
    state.failsafeActive = accepted;
    if (accepted) {
      // Every member treats our POST as a live leader for a ttl: as good as a renewal.
      state.leaseVouched(sent);
    }
    return accepted;
  }

  void close() {
    worker.close();
  }
}
