package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Status;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.status.ServerStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Builders of loop snapshots for the pure rule tests. */
final class Snapshots {

  static final String ME = "pg1";

  private Snapshots() {}

  static ServerStatus primaryServer(long lsn) {
    return new ServerStatus(
        false,
        Instant.parse("2026-11-22T00:15:55Z"),
        "7710782928459690229",
        2,
        lsn,
        -1,
        -1,
        Set.of(),
        List.of());
  }

  /** A replica whose WAL receiver streams when it has received anything. */
  static ServerStatus replicaServer(long received, long replayed) {
    return new ServerStatus(
        true,
        Instant.parse("2026-11-22T00:15:55Z"),
        "7710782928459690229",
        2,
        -1,
        received,
        replayed,
        Set.of(),
        List.of(),
        received > 0 ? "streaming" : null);
  }

  static LocalPostgresState running(ServerStatus s) {
    return new LocalPostgresState(
        RunState.RUNNING,
        s.inRecovery() ? PostgresRole.REPLICA : PostgresRole.PRIMARY,
        42,
        true,
        Optional.of(s),
        Optional.empty());
  }

  static LocalPostgresState stopped(PostgresRole role) {
    return new LocalPostgresState(
        RunState.STOPPED, role, 0, true, Optional.empty(), Optional.empty());
  }

  static ClusterView view(String leader, long optime, ObjectNode config, List<String> sync) {
    return new ClusterView(
        Optional.empty(),
        Optional.of(new ClusterConfig(config, 1)),
        leader == null ? Optional.empty() : Optional.of(new Leader(leader, 1)),
        new TreeMap<>(),
        optime > 0 ? Optional.of(Status.ofOptime(optime)) : Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        sync.isEmpty() ? Optional.empty() : Optional.of(new SyncState(leader, sync, null, 1)),
        Optional.empty(),
        List.of());
  }

  static ObjectNode config() {
    ObjectNode c = ClusterCodec.nodes().objectNode();
    c.put("ttl", 30);
    c.put("maximum_lag_on_failover", 1048576);
    return c;
  }

  static AgentSnapshot snapshot(
      LocalPostgresState pg, Optional<ClusterView> view, boolean holdsLock, boolean paused) {
    String state =
        pg.runState() == RunState.RUNNING
            ? (pg.server().isPresent() ? "running" : "starting")
            : "stopped";
    return new AgentSnapshot(pg, view, holdsLock, state, 1795306605L, paused, "", 0L);
  }

  static Tags tags(boolean nofailover, boolean noloadbalance, Map<String, Object> all) {
    return new Tags(nofailover, 1, false, noloadbalance, false, null, all);
  }
}
