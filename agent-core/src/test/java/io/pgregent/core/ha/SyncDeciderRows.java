package io.pgregent.core.ha;

import static io.pgregent.core.ha.HaDeciderTests.row;
import static io.pgregent.core.ha.HaInputs.ME;
import static io.pgregent.core.ha.HaInputs.input;
import static io.pgregent.core.ha.HaInputs.peers;
import static io.pgregent.core.ha.HaInputs.replicaOf;
import static io.pgregent.core.ha.HaInputs.replicaPeer;
import static io.pgregent.core.ha.HaInputs.withReplication;

import io.pgregent.core.cluster.SyncState;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The synchronous replication rows of the decision table (leader steps, promotion, the race). */
final class SyncDeciderRows {

  static final long WAL = 1000;
  static final long MARK = 900;
  static final String PG0 = "\"pg0\"";
  static final String PG2 = "\"pg2\"";
  static final String PLACEHOLDER = "*";

  private SyncDeciderRows() {}

  static HaSettings sync(SyncSettings.Mode mode, int count, boolean strict, long maxLag) {
    HaSettings s = HaInputs.settings(false, false, 1, false, false);
    return s.withSync(new SyncSettings(mode, count, strict, maxLag));
  }

  static HaSettings pausedSync(HaSettings s) {
    return s.withPaused(true);
  }

  static HaSettings on() {
    return sync(SyncSettings.Mode.ON, 1, false, -1);
  }

  static HaSettings quorum() {
    return sync(SyncSettings.Mode.QUORUM, 1, false, -1);
  }

  static StandbyLink link(String name, String syncState, long flush) {
    return new StandbyLink(name, "streaming", syncState, flush);
  }

  static LocalState primaryWith(String ssn, StandbyLink... links) {
    return withReplication(
        HaInputs.primary(WAL),
        new ReplicationStatus(Optional.ofNullable(ssn), MARK, List.of(links)));
  }

  static SyncState key(String leader, int quorum, String... standbys) {
    return new SyncState(leader, List.of(standbys), quorum, 7);
  }

  static HaInputs.Builder leading(HaSettings settings, LocalState local) {
    return HaInputs.refreshedLeader(local).settings(settings);
  }

  static Action write(int quorum, String... standbys) {
    return new Action.WriteSyncState(new SyncState(ME, List.of(standbys), quorum, 7));
  }

  /** We stepped down for a switchover in synchronous mode, pg2 our sync standby; the answers. */
  static HaInputs.Builder afterSwitchover(PeerStatus... answers) {
    return input()
        .local(replicaOf("pg0", 500))
        .settings(on())
        .sync(key(ME, 0, "pg2"))
        .failover(ME, null, null)
        .cycle(CycleFacts.fresh().withPeers(peers(answers)));
  }

  static Action names(String value) {
    return new Action.SetSyncStandbyNames(Optional.of(value));
  }

  static Stream<Arguments> rows() {
    HaSettings off = HaInputs.settings(false, false, 1, false, false);
    LocalState replica = replicaOf("pg0", 300);
    CycleFacts won = CycleFacts.fresh().withPeers(peers()).withLockAcquired(true);
    return Stream.of(
        // synchronous mode off
        row(
            "sync off: the leader drops the sync key",
            leading(off, primaryWith(null)).sync(key(ME, 0, "pg2")),
            new Action.DeleteSyncState(7),
            Reason.SYNC_DISABLED),
        row(
            "sync off: synchronous_standby_names handed back to the configuration",
            leading(off, primaryWith(PG2)),
            new Action.SetSyncStandbyNames(Optional.empty()),
            Reason.SYNC_DISABLED),
        // synchronous mode on: the leader's steps
        row(
            "sync on: no sync key yet, the leader claims it",
            leading(on(), primaryWith("", link("pg2", "async", WAL))),
            new Action.WriteSyncState(new SyncState(ME, List.of(), 0, 0)),
            Reason.SYNC_STATE_CLAIMED),
        row(
            "sync on: the key names the old leader, the new one claims it without standbys",
            leading(on(), primaryWith("", link("pg2", "async", WAL))).sync(key("pg0", 0, "pg1")),
            write(0),
            Reason.SYNC_STATE_CLAIMED),
        row(
            "sync on: a quorum key from quorum mode is cleared first",
            leading(on(), primaryWith("", link("pg2", "async", WAL))).sync(key(ME, 1, "pg2")),
            write(0),
            Reason.SYNC_STATE_CLAIMED),
        row(
            "sync on: a streaming standby goes into synchronous_standby_names first",
            leading(on(), primaryWith("", link("pg2", "async", WAL))).sync(key(ME, 0)),
            names(PG2),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: published once PostgreSQL reports it sync and it caught up",
            leading(on(), primaryWith(PG2, link("pg2", "sync", MARK))).sync(key(ME, 0)),
            write(0, "pg2"),
            Reason.SYNC_STANDBYS_ASSIGNED),
        row(
            "sync on: reported sync but not yet past the change: not published",
            leading(on(), primaryWith(PG2, link("pg2", "sync", MARK - 1))).sync(key(ME, 0)),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "sync on: a potential standby is not published",
            leading(on(), primaryWith(PG2, link("pg2", "potential", WAL))).sync(key(ME, 0)),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "sync on: a vanished standby leaves the key first",
            leading(on(), primaryWith(PG2)).sync(key(ME, 0, "pg2")),
            write(0),
            Reason.SYNC_STANDBYS_REMOVED),
        row(
            "sync on: then synchronous_standby_names, back to asynchronous",
            leading(on(), primaryWith(PG2)).sync(key(ME, 0)),
            names(""),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on, strict: no standby, commits wait for any standby",
            leading(sync(SyncSettings.Mode.ON, 1, true, -1), primaryWith(PG2)).sync(key(ME, 0)),
            names(PLACEHOLDER),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: a nosync standby is never chosen",
            leading(on(), primaryWith("", link("pg2", "async", WAL), link("pg0", "async", 10)))
                .sync(key(ME, 0))
                .tag("pg2", "nosync", true),
            names(PG0),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: sync_priority 0 without nosync is never chosen",
            leading(on(), primaryWith("", link("pg2", "async", WAL), link("pg0", "async", 10)))
                .sync(key(ME, 0))
                .tag("pg2", "sync_priority", "0"),
            names(PG0),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: nosync false wins over sync_priority 0",
            leading(on(), primaryWith("", link("pg2", "async", WAL)))
                .sync(key(ME, 0))
                .tag("pg2", "nosync", false)
                .tag("pg2", "sync_priority", "0"),
            names(PG2),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: a higher sync_priority replaces the current synchronous standby",
            leading(on(), primaryWith(PG2, link("pg2", "sync", WAL), link("pg0", "async", WAL)))
                .sync(key(ME, 0, "pg2"))
                .tag("pg0", "sync_priority", "2"),
            write(0),
            Reason.SYNC_STANDBYS_REMOVED),
        row(
            "sync on: a nofailover standby only when nothing else",
            leading(on(), primaryWith("", link("pg2", "async", WAL), link("pg0", "async", 10)))
                .sync(key(ME, 0))
                .tag("pg2", "nofailover", true),
            names(PG0),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: synchronous_node_count 2",
            leading(
                    sync(SyncSettings.Mode.ON, 2, false, -1),
                    primaryWith("", link("pg2", "async", WAL), link("pg0", "async", 10)))
                .sync(key(ME, 0)),
            names("2 (" + PG0 + "," + PG2 + ")"),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: a standby beyond maximum_lag_on_syncnode is not chosen",
            leading(
                    sync(SyncSettings.Mode.ON, 1, false, 100),
                    primaryWith("", link("pg2", "async", WAL - 500), link("pg0", "async", WAL)))
                .sync(key(ME, 0)),
            names(PG0),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "sync on: a synchronous standby that flushes but replays too far behind loses its place",
            leading(
                    sync(SyncSettings.Mode.ON, 1, false, 100),
                    primaryWith(
                        PG2,
                        new StandbyLink("pg2", "streaming", "sync", WAL, WAL - 500),
                        link("pg0", "async", WAL)))
                .sync(key(ME, 0, "pg2")),
            write(0),
            Reason.SYNC_STANDBYS_REMOVED),
        row(
            "sync on, paused: the leader still replaces a synchronous standby that fell behind",
            leading(
                    pausedSync(sync(SyncSettings.Mode.ON, 1, false, 100)),
                    primaryWith(PG2, link("pg2", "sync", WAL - 500), link("pg0", "async", WAL)))
                .sync(key(ME, 0, "pg2")),
            write(0),
            Reason.SYNC_STANDBYS_REMOVED),
        row(
            "sync on: the current synchronous standby is kept though another is fresher",
            leading(on(), primaryWith(PG0, link("pg2", "async", WAL), link("pg0", "sync", 950)))
                .sync(key(ME, 0, "pg0")),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        // quorum mode: the leader's steps
        row(
            "quorum: ANY 1 of the streaming standbys",
            leading(quorum(), primaryWith("", link("pg0", "async", WAL), link("pg2", "async", WAL)))
                .sync(key(ME, 0)),
            names("ANY 1 (" + PG0 + "," + PG2 + ")"),
            Reason.SYNC_STANDBY_NAMES),
        row(
            "quorum: voters published with quorum |S| - k once confirmed",
            leading(
                    quorum(),
                    primaryWith(
                        "ANY 1 (" + PG0 + "," + PG2 + ")",
                        link("pg0", "quorum", WAL),
                        link("pg2", "quorum", WAL)))
                .sync(key(ME, 0)),
            write(1, "pg0", "pg2"),
            Reason.SYNC_QUORUM_UPDATED),
        row(
            "quorum: a voter that vanished leaves the key, the quorum kept",
            leading(
                    quorum(),
                    primaryWith("ANY 1 (" + PG0 + "," + PG2 + ")", link("pg0", "quorum", WAL)))
                .sync(key(ME, 1, "pg0", "pg2")),
            write(1, "pg0"),
            Reason.SYNC_STANDBYS_REMOVED),
        row(
            "quorum: a new standby: the quorum is raised before synchronous_standby_names grows",
            leading(
                    quorum(),
                    primaryWith(
                        "ANY 1 (" + PG0 + ")",
                        link("pg0", "quorum", WAL),
                        link("pg2", "async", WAL)))
                .sync(key(ME, 0, "pg0")),
            write(1, "pg0"),
            Reason.SYNC_QUORUM_RAISED),
        // promotion in synchronous mode
        row(
            "sync on: before promoting, the new leader claims the key",
            input().local(replica).settings(on()).sync(key("pg0", 0, ME)).cycle(won),
            new Action.WriteSyncState(new SyncState(ME, List.of(), 0, 7)),
            Reason.SYNC_BEFORE_PROMOTE),
        row(
            "sync on: before promoting, synchronous_standby_names as for a new primary",
            input()
                .local(
                    withReplication(replica, new ReplicationStatus(Optional.of(PG2), 0, List.of())))
                .settings(on())
                .sync(key(ME, 0))
                .cycle(won),
            names(""),
            Reason.SYNC_BEFORE_PROMOTE),
        row(
            "sync on: promoting once the key and synchronous_standby_names are ready",
            input()
                .local(
                    withReplication(replica, new ReplicationStatus(Optional.of(""), 0, List.of())))
                .settings(on())
                .sync(key(ME, 0))
                .cycle(won),
            new Action.Promote(),
            Reason.PROMOTED_BY_ACQUIRING_LOCK),
        // a standby holding the lock judges its promotion again on this cycle's view
        row(
            "sync on: a standby holding a lock the sync key does not allow (another led since)"
                + " hands it back",
            HaInputs.refreshedLeader(replica).settings(on()).sync(key("pg2", 0, "pg0")),
            new Action.ReleaseLock(),
            Reason.NOT_SYNC_STANDBY_RELEASING_LOCK),
        row(
            "sync on: a synchronous standby holding the lock claims the key to promote",
            HaInputs.refreshedLeader(replica).settings(on()).sync(key("pg0", 0, ME)),
            new Action.WriteSyncState(new SyncState(ME, List.of(), 0, 7)),
            Reason.SYNC_BEFORE_PROMOTE),
        row(
            "quorum: a voter holding the lock asks the voters again before promoting",
            HaInputs.refreshedLeader(replica).settings(quorum()).sync(key("pg0", 1, ME, "pg2")),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "quorum: a voter holding the lock with a voter ahead of it hands the lock back",
            HaInputs.refreshedLeader(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .cycle(HaInputs.refreshed().withPeers(peers(replicaPeer("pg2", 900)))),
            new Action.ReleaseLock(),
            Reason.QUORUM_NOT_REACHED_RELEASING_LOCK),
        row(
            "quorum: a voter holding the lock with the quorum behind it claims the key to promote",
            HaInputs.refreshedLeader(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .cycle(HaInputs.refreshed().withPeers(peers(replicaPeer("pg2", 300)))),
            new Action.WriteSyncState(new SyncState(ME, List.of(), 0, 7)),
            Reason.SYNC_BEFORE_PROMOTE),
        // a lock holder whose primary is down judges its start as a promotion (loop seeds 5037,
        // 5502: it froze, took the lock back long after, and another member had led meanwhile)
        row(
            "sync on: a lock holder does not restart its stopped primary when another led since",
            HaInputs.refreshedLeader(HaInputs.stoppedPrimary())
                .settings(on())
                .sync(key("pg2", 0, "pg0")),
            new Action.ReleaseLock(),
            Reason.NOT_SYNC_STANDBY_RELEASING_LOCK),
        row(
            "sync on: the last leader restarts its crashed primary",
            HaInputs.refreshedLeader(HaInputs.inState(PostgresRunState.CRASHED))
                .settings(on())
                .sync(key(ME, 0, "pg2")),
            new Action.StartPostgres(false, null),
            Reason.STARTING_PRIMARY_AFTER_FAILURE),
        row(
            "quorum: a lock holder asks the voters before restarting a primary it did not lead last",
            HaInputs.refreshedLeader(HaInputs.stoppedPrimary())
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2")),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        // a switchover whose candidate died: the former leader races unless a sync standby can
        row(
            "sync on: the former leader races when the only other member is not a sync standby",
            afterSwitchover(PeerStatus.unreachable("pg2"), replicaPeer("pg0", 500)),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "sync on: the former leader stands aside while a sync standby can take over",
            afterSwitchover(replicaPeer("pg2", 500), replicaPeer("pg0", 500)),
            new Action.None(),
            Reason.FORMER_LEADER_STANDS_ASIDE),
        // the leader race in synchronous mode
        row(
            "sync on: a member not in the sync key does not race",
            input().local(replica).settings(on()).sync(key("pg0", 0, "pg2")),
            new Action.None(),
            Reason.NOT_SYNC_STANDBY),
        row(
            "sync on: an asynchronous member ahead does not stop the synchronous standby",
            input()
                .local(replica)
                .settings(on())
                .sync(key("pg0", 0, ME))
                .cycle(CycleFacts.fresh().withPeers(peers(replicaPeer("pg2", 900)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "quorum: enough voters at or behind me",
            input()
                .local(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .cycle(CycleFacts.fresh().withPeers(peers(replicaPeer("pg2", 300)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "quorum: a voter unreachable, the quorum cannot be proved",
            input()
                .local(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .cycle(CycleFacts.fresh().withPeers(peers(PeerStatus.unreachable("pg2")))),
            new Action.None(),
            Reason.QUORUM_NOT_REACHED),
        // a named candidate skips the race, not the quorum (simulation seed 75)
        row(
            "quorum: the candidate of a switchover whose leader is gone asks the voters first",
            input()
                .local(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .failover("pg0", ME, null),
            HaInputs.ask("pg0", "pg2"),
            Reason.QUERYING_PEERS),
        row(
            "quorum: a candidate behind a voter, the last primary unreachable, does not take over",
            input()
                .local(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME, "pg2"))
                .failover("pg0", ME, null)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(PeerStatus.unreachable("pg0"), replicaPeer("pg2", 900)))),
            new Action.None(),
            Reason.QUORUM_NOT_REACHED),
        row(
            "quorum: the candidate at the last primary's position (stopped cleanly) takes over",
            input()
                .local(replica)
                .settings(quorum())
                .sync(key("pg0", 1, ME))
                .failover("pg0", ME, null)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(replicaPeer("pg0", 300), replicaPeer("pg2", 900)))),
            new Action.AcquireLock(),
            Reason.MANUAL_FAILOVER_CANDIDATE),
        row(
            "sync on: no member waits for a candidate outside the sync key (simulation seed 110)",
            input()
                .local(replica)
                .settings(on())
                .sync(key("pg2", 0, ME))
                .failover("pg2", "pg0", null)
                .cycle(
                    CycleFacts.fresh()
                        .withPeers(peers(replicaPeer("pg0", 300), replicaPeer("pg2", 200)))),
            new Action.AcquireLock(),
            Reason.ACQUIRING_LOCK),
        row(
            "sync on: a failover never promotes a candidate outside the sync key",
            input()
                .local(replica)
                .settings(on())
                .sync(key("pg0", 0, "pg2"))
                .failover(null, ME, null),
            new Action.None(),
            Reason.NOT_SYNC_STANDBY));
  }
}
