package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.time.Clock;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.status.ServerStatus;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this member writes to the store at the end of a cycle: its lease when due, its member key,
 * and as a running leader the cluster's adoption, slots, failsafe topology and {@code status}
 * (optime and slot positions).
 */
final class MemberPublisher {

  private static final Logger log = LoggerFactory.getLogger(MemberPublisher.class);
  private static final DateTimeFormatter SCHEDULE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssxxx");

  private final Dcs dcs;
  private final ConfigInForce config;
  private final LoopState state;
  private final SlotKeeper slots;
  private final FailsafeHeartbeats heartbeats;
  private final FailsafeTopology failsafe;
  private final RestartSchedule restarts;
  private final Clock clock;

  private final java.util.function.Supplier<Optional<String>> task;

  MemberPublisher(
      Dcs dcs,
      ConfigInForce config,
      LoopState state,
      SlotKeeper slots,
      FailsafeHeartbeats heartbeats,
      FailsafeTopology failsafe,
      RestartSchedule restarts,
      Clock clock,
      java.util.function.Supplier<Optional<String>> task) {
    this.task = task;
    this.dcs = dcs;
    this.config = config;
    this.state = state;
    this.slots = slots;
    this.heartbeats = heartbeats;
    this.failsafe = failsafe;
    this.restarts = restarts;
    this.clock = clock;
  }

  void publish(Optional<ClusterView> view, LocalPostgresState pg) {
    DynamicConfig dynamic = config.dynamic();
    if (view.isEmpty()) {
      if (state.failsafeActive && pg.server().map(s -> !s.inRecovery()).orElse(false)) {
        slots.keepAsFailsafeLeader(
            dynamic, config.local().tags().nofailover(), Map.copyOf(state.failsafeLsns));
      }
      if (!state.holdsLock
          && dynamic.failsafeMode()
          && pg.server().map(s -> s.inRecovery()).orElse(false)
          && heartbeats.last().isPresent()) {
        slots.keepFromFailsafe(dynamic, config.local().tags().nofailover(), heartbeats.slots());
      }
      return;
    }
    try {
      long now = clock.nanoTime();
      if (!state.sessionRenewed
          && renewalDue(
              now - state.sessionRenewedAtNanos,
              dynamic.ttl(),
              dynamic.loopWait(),
              dynamic.retryTimeout())) {
        dcs.renewSession();
        state.renewed(now);
      }
      dcs.touchMember(Member.of(config.local().name(), memberDocument(pg)));
      boolean nofailover = config.local().tags().nofailover();
      if (state.holdsLock
          && pg.server().map(s -> !s.inRecovery() || standbyLeader(pg)).orElse(false)) {
        // The standby leader, too, records its cluster and keeps slots for its standbys.
        adoptCluster(view.get(), pg.server().get().systemIdentifier());
        ServerStatus server = pg.server().get();
        long optime =
            server.inRecovery()
                ? Math.max(server.receiveLsn(), server.replayLsn())
                : server.currentLsn();
        SlotKeeper.StatusSlots positions =
            keepSlotsAsLeader(view.get(), dynamic, nofailover, optime);
        failsafe.publish(view.get());
        boolean changed =
            view.get()
                .status()
                .map(
                    st ->
                        st.optime() != optime
                            || !st.slots().equals(positions.slots())
                            || !st.retainSlots().equals(positions.retain()))
                .orElse(true);
        if (changed) {
          dcs.put(
              ClusterKey.STATUS,
              ClusterCodec.encodeStatus(optime, positions.slots(), positions.retain()));
        }
      } else if (pg.server().map(s -> s.inRecovery()).orElse(false)) {
        try {
          slots.keepAsReplica(
              view.get(),
              dynamic,
              nofailover,
              view.get().status().map(st -> st.slots()).orElse(Map.of()));
        } catch (RuntimeException e) {
          log.warn("could not manage replication slots: {}", e.getMessage());
        }
      }
    } catch (DcsException e) {
      log.warn("could not publish member state: {}", e.getMessage());
    }
  }

  private SlotKeeper.StatusSlots keepSlotsAsLeader(
      ClusterView view, DynamicConfig dynamic, boolean nofailover, long optime) {
    try {
      return slots.keepAsLeader(view, dynamic, nofailover, optime);
    } catch (RuntimeException e) {
      log.warn("could not manage replication slots: {}", e.getMessage());
      return new SlotKeeper.StatusSlots(
          view.status().map(st -> st.slots()).orElse(Map.of()),
          view.status().map(st -> st.retainSlots()).orElse(List.of()));
    }
  }

  /**
   * Whether a member that holds no lock must renew its lease now, {@code sinceNanos} after the last
   * renewal. The lease carries only its member key, so it is renewed only when waiting would leave
   * too little of the ttl for the next cycle (up to loop_wait away, plus retry_timeout of retries,
   * plus a second): every cycle at Patroni's defaults, every other one at ttl=10/loop_wait=2. A
   * leader renews in every cycle, and a member renews before it takes the lock.
   */
  static boolean renewalDue(long sinceNanos, int ttl, int loopWait, int retryTimeout) {
    if (sinceNanos < 0) {
      return true; // never renewed (the difference overflowed)
    }
    long slackSeconds = (long) ttl - loopWait - retryTimeout - 1;
    return slackSeconds <= 0 || sinceNanos >= slackSeconds * 1_000_000_000L;
  }

  /**
   * A running primary that took the lock of a cluster the store does not know yet (an existing
   * primary adopted as it is): record its system identifier and the initial configuration, as a
   * bootstrap would have.
   */
  private void adoptCluster(ClusterView view, String systemIdentifier) {
    if (view.initialize().isEmpty()
        && dcs.compareAndSet(ClusterKey.INITIALIZE, 0, systemIdentifier)) {
      log.info("adopted the running cluster with system identifier {}", systemIdentifier);
    }
    if (view.config().isEmpty() && view.malformedKeys().stream().noneMatch("config"::equals)) {
      dcs.compareAndSet(ClusterKey.CONFIG, 0, ClusterCodec.json(config.local().bootstrapDcs()));
    }
  }

  /** This member's key, as Patroni writes it. */
  ObjectNode memberDocument(LocalPostgresState pg) {
    AgentConfig local = config.local();
    boolean paused = config.dynamic().pause();
    ObjectNode doc = ClusterCodec.nodes().objectNode();
    doc.put("conn_url", "postgres://" + local.postgresql().connectAddress() + "/postgres");
    doc.put("api_url", local.restapi().apiUrl());
    doc.put("state", LocalStates.publishedState(pg, paused, task.get()));
    String role =
        pg.server()
            .map(s -> s.inRecovery() ? standbyLeader(pg) ? "standby_leader" : "replica" : "primary")
            .orElse(pg.dataDirectoryInitialized() ? pg.role().patroniName() : "uninitialized");
    doc.put("role", role.equals("unknown") ? "uninitialized" : role);
    doc.put("version", HaLoop.PATRONI_VERSION);
    doc.put("regent_version", RegentVersion.current());
    pg.server()
        .ifPresent(
            s -> {
              if (s.inRecovery()) {
                long position = Math.max(s.receiveLsn(), s.replayLsn());
                doc.put("xlog_location", position);
                if (s.replayLsn() >= 0) {
                  doc.put("replay_lsn", s.replayLsn());
                }
                if (s.receiveLsn() >= 0) {
                  doc.put("receive_lsn", s.receiveLsn());
                }
                doc.put("replication_state", s.streaming() ? "streaming" : "in archive recovery");
              } else {
                doc.put("xlog_location", s.currentLsn());
              }
              doc.put("timeline", s.timeline());
            });
    Map<String, Object> published = local.tags().published();
    if (!published.isEmpty()) {
      ObjectNode tags = doc.putObject("tags");
      published.forEach((k, v) -> tags.putPOJO(k, v));
    }
    if (pg.pendingRestart()) {
      doc.put("pending_restart", true);
    }
    if (paused) {
      doc.put("pause", true);
    }
    restarts
        .scheduled()
        .ifPresent(
            restart -> {
              ObjectNode r = doc.putObject("scheduled_restart");
              r.put("schedule", restart.at().format(SCHEDULE));
              r.setAll(restart.filters());
              if (restart.postmasterStartTime() != null) {
                r.put("postmaster_start_time", restart.postmasterStartTime());
              }
            });
    return doc;
  }

  /** A running standby holding the lock of a standby cluster. */
  private boolean standbyLeader(LocalPostgresState pg) {
    return state.holdsLock
        && config.dynamic().isStandbyCluster()
        && pg.server().map(ServerStatus::inRecovery).orElse(false);
  }
}
