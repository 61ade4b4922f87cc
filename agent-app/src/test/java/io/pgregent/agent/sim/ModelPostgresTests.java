package io.pgregent.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.sim.PgModel;
import io.pgregent.postgres.ControlData;
import io.pgregent.postgres.LeaderConnection;
import io.pgregent.postgres.LocalPostgresState;
import io.pgregent.postgres.PostgresException;
import io.pgregent.postgres.PostgresRole;
import io.pgregent.postgres.PostgresSetupException;
import io.pgregent.postgres.RewindOutcome;
import io.pgregent.postgres.RunState;
import io.pgregent.postgres.StopMode;
import io.pgregent.postgres.TimelineHistoryFile;
import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.os.CommandTimeoutException;
import io.pgregent.postgres.status.ReplicationRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPostgresTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String REASON = "no recovery target specified";

  @TempDir Path base;

  private final World world = new World();

  @AfterEach
  void clearInterrupt() {
    Thread.interrupted();
  }

  @Test
  void bootstrapGivesARunningPrimaryOnTimelineOne() {
    ModelPostgres a = member("a");
    LocalPostgresState empty = a.state();
    assertThat(empty.dataDirectoryInitialized()).isFalse();
    assertThat(empty.role()).isEqualTo(PostgresRole.UNKNOWN);
    assertThatThrownBy(a::controlData).isInstanceOf(PostgresException.class);

    a.bootstrap();

    LocalPostgresState s = a.state();
    assertThat(s.runState()).isEqualTo(RunState.RUNNING);
    assertThat(s.role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(s.dataDirectoryInitialized()).isTrue();
    assertThat(s.postmasterPid()).isPositive();
    assertThat(s.timeline()).contains(1);
    assertThat(s.systemIdentifier()).contains("7000000000000000001");
    assertThat(s.server().orElseThrow().inRecovery()).isFalse();
    assertThat(s.server().get().currentLsn()).isEqualTo(world.pg("a").lsn());
    assertThat(world.timelines).containsExactly("a:1");
    ControlData control = a.controlData();
    assertThat(control.clusterState()).isEqualTo("in production");
    assertThat(control.systemIdentifier()).isEqualTo("7000000000000000001");
    assertThat(TimelineHistoryFile.newest(a.dataDir())).isEmpty();
    assertThatThrownBy(a::bootstrap).isInstanceOf(PostgresSetupException.class);
  }

  @Test
  void aCloneStartedAsReplicaStreamsFromTheLeader() {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    a.bootstrap();
    world.pg("a").write(4096);

    b.createReplica(connection("a"), TIMEOUT);

    LocalPostgresState cloned = b.state();
    assertThat(cloned.runState()).isEqualTo(RunState.STOPPED);
    assertThat(cloned.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(cloned.dataDirectoryInitialized()).isTrue();
    assertThat(b.controlData().systemIdentifier()).isEqualTo(a.controlData().systemIdentifier());
    assertThat(b.controlData().clusterState()).isEqualTo("shut down in recovery");

    b.start();
    world.pg("a").write(4096);
    world.tick();

    LocalPostgresState replica = b.state();
    assertThat(replica.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(replica.server().orElseThrow().streaming()).isTrue();
    assertThat(replica.server().get().receiveLsn()).isEqualTo(world.pg("a").lsn());
    assertThat(replica.server().get().currentLsn()).isEqualTo(-1);
    assertThat(a.state().replication())
        .extracting(
            ReplicationRow::applicationName, ReplicationRow::state, ReplicationRow::syncState)
        .containsExactly(tuple("b", "streaming", "async"));
    assertThat(a.streamingStandbys()).containsExactly("b");
  }

  @Test
  void promoteMakesANewTimelineAndWritesItsHistoryFile() throws IOException {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    ModelPostgres c = member("c");
    a.bootstrap();
    world.pg("a").write(4096);
    replicaOf(b, "a");
    world.pg("a").crash();
    long firstSwitch = world.pg("b").lsn();

    AtomicReference<LocalPostgresState> writable = new AtomicReference<>();
    b.promote(TIMEOUT, writable::set);

    assertThat(writable.get().server().orElseThrow().inRecovery()).isFalse();
    assertThat(b.state().timeline()).contains(2);
    assertThat(world.timelines).containsExactly("a:1", "b:2");
    Path second = TimelineHistoryFile.of(b.dataDir(), 2);
    assertThat(TimelineHistoryFile.read(second))
        .containsExactly(new TimelineHistoryFile.Switch(1, firstSwitch, REASON))
        .isEqualTo(switches(world.pg("b")));
    assertThat(TimelineHistoryFile.newest(b.dataDir())).contains(second);

    // A clone takes the leader's files; its own promotion adds the next one.
    world.pg("b").write(8192);
    replicaOf(c, "b");
    world.pg("b").crash();
    long secondSwitch = world.pg("c").lsn();
    c.promote(TIMEOUT);

    assertThat(Files.readString(TimelineHistoryFile.of(c.dataDir(), 2)))
        .isEqualTo(Files.readString(second));
    assertThat(Files.readString(TimelineHistoryFile.of(c.dataDir(), 3)))
        .isEqualTo(
            "1\t0/%X\t%s\n\n2\t0/%X\t%s\n".formatted(firstSwitch, REASON, secondSwitch, REASON));
    assertThat(TimelineHistoryFile.switchesBefore(c.dataDir(), 3))
        .isEqualTo(switches(world.pg("c")))
        .hasSize(2);
  }

  @Test
  void aStandbyThatFollowsTheLeaderOntoItsTimelineGetsTheHistoryFile() throws IOException {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    ModelPostgres c = member("c");
    a.bootstrap();
    replicaOf(b, "a");
    replicaOf(c, "a");
    world.pg("a").crash();
    b.promote(TIMEOUT);

    c.followLeader(connection("b"));
    world.tick();

    assertThat(c.state().timeline()).contains(2);
    assertThat(world.pg("c").upstream()).contains("b");
    assertThat(c.state().server().orElseThrow().streaming()).isTrue();
    assertThat(Files.readString(TimelineHistoryFile.of(c.dataDir(), 2)))
        .isEqualTo(Files.readString(TimelineHistoryFile.of(b.dataDir(), 2)));
  }

  @Test
  void aFormerPrimaryWhoseHistoryPartedIsRewoundAndFollows() throws IOException {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    a.bootstrap();
    replicaOf(b, "a");
    // b is promoted while a, cut off, still takes writes past the fork.
    b.promote(TIMEOUT);
    world.pg("a").write(8192);
    a.stop(StopMode.IMMEDIATE, TIMEOUT);
    Path stale = TimelineHistoryFile.of(a.dataDir(), 5);
    Files.createDirectories(stale.getParent());
    Files.writeString(stale, "4\t0/9000000\tgone\n");

    assertThat(a.rewindRequired(connection("b"), TIMEOUT)).isTrue();
    assertThat(a.rewind(connection("b"), TIMEOUT)).isEqualTo(RewindOutcome.REWOUND);

    LocalPostgresState rewound = a.state();
    assertThat(rewound.runState()).isEqualTo(RunState.STOPPED);
    assertThat(rewound.role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(a.controlData().checkpointTimeline()).isEqualTo(2);
    assertThat(stale).doesNotExist();
    assertThat(Files.readString(TimelineHistoryFile.of(a.dataDir(), 2)))
        .isEqualTo(Files.readString(TimelineHistoryFile.of(b.dataDir(), 2)));
    assertThat(world.trace).contains("a pg_rewind onto b");

    a.start();
    world.tick();
    assertThat(a.state().server().orElseThrow().streaming()).isTrue();
    assertThat(a.state().timeline()).contains(2);
    assertThatThrownBy(() -> a.rewindRequired(connection("b"), TIMEOUT))
        .isInstanceOf(PostgresException.class)
        .hasMessageContaining("stopped server");
  }

  @Test
  void aFormerPrimaryStoppedCleanlyNeedsNoRewind() {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    a.bootstrap();
    replicaOf(b, "a");
    world.pg("a").write(8192);
    // A clean stop sends the streaming standby every record first.
    a.stop(StopMode.FAST, TIMEOUT);
    b.promote(TIMEOUT);

    assertThat(a.rewindRequired(connection("b"), TIMEOUT)).isFalse();
    assertThat(a.rewind(connection("b"), TIMEOUT)).isEqualTo(RewindOutcome.NOT_NEEDED);
    assertThat(a.state().role()).isEqualTo(PostgresRole.REPLICA);
    a.start();
    world.tick();
    assertThat(a.state().server().orElseThrow().streaming()).isTrue();
  }

  @Test
  void controlDataShowsHowTheServerStopped() {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    a.bootstrap();
    replicaOf(b, "a");
    world.pg("a").write(4096);

    a.stop(StopMode.FAST, TIMEOUT);
    ControlData stopped = a.controlData();
    assertThat(stopped.clusterState()).isEqualTo("shut down");
    assertThat(stopped.cleanShutdown()).isTrue();
    assertThat(stopped.checkpointLocation()).isEqualTo(world.pg("a").lsn());
    assertThat(stopped.checkpointTimeline()).isEqualTo(1);
    assertThat(a.state().role()).isEqualTo(PostgresRole.PRIMARY);
    b.stop(StopMode.FAST, TIMEOUT);
    assertThat(b.controlData().clusterState()).isEqualTo("shut down in recovery");

    a.start();
    world.pg("a").crash();
    assertThat(a.state().runState()).isEqualTo(RunState.CRASHED);
    assertThat(a.isRunning()).isFalse();
    assertThat(a.controlData().clusterState()).isEqualTo("in production");
    assertThat(a.controlData().cleanShutdown()).isFalse();

    b.start();
    world.pg("b").crash();
    assertThat(b.controlData().clusterState()).isEqualTo("in archive recovery");
    b.recoverCrashedStandby();
    assertThat(b.state().runState()).isEqualTo(RunState.STOPPED);
    assertThat(b.controlData().clusterState()).isEqualTo("shut down in recovery");
  }

  @Test
  void synchronousStandbyNamesAreReportedBack() {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    ModelPostgres c = member("c");
    a.bootstrap();
    replicaOf(b, "a");
    replicaOf(c, "a");

    assertThat(a.setSynchronousStandbyNames(Optional.of("b"), TIMEOUT))
        .isEqualTo(world.pg("a").lsn());
    assertThat(a.synchronousStandbyNames()).contains("b");
    assertThat(a.effectiveParameters()).containsEntry("synchronous_standby_names", "b");
    assertThat(syncStates(a)).isEqualTo(Map.of("b", "sync", "c", "async"));

    a.setSynchronousStandbyNames(Optional.of("ANY 1 (b,c)"), TIMEOUT);
    assertThat(syncStates(a)).isEqualTo(Map.of("b", "quorum", "c", "quorum"));

    a.setSynchronousStandbyNames(Optional.empty(), TIMEOUT);
    assertThat(a.synchronousStandbyNames()).isEmpty();
    assertThat(syncStates(a)).isEqualTo(Map.of("b", "async", "c", "async"));

    // Only a running primary reports a position; the value stays in the configuration.
    assertThat(b.setSynchronousStandbyNames(Optional.of("c"), TIMEOUT)).isEqualTo(-1);
    a.stop(StopMode.FAST, TIMEOUT);
    assertThat(a.setSynchronousStandbyNames(Optional.of("*"), TIMEOUT)).isEqualTo(-1);
    assertThat(a.synchronousStandbyNames()).contains("*");
  }

  @Test
  void demotionAndFollowingMakeAReplica() {
    ModelPostgres a = member("a");
    ModelPostgres b = member("b");
    a.bootstrap();
    replicaOf(b, "a");

    a.demote(Optional.empty());

    assertThat(a.state().runState()).isEqualTo(RunState.STOPPED);
    assertThat(a.state().role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(world.pg("a").upstream()).isEmpty();
    a.start();
    assertThat(a.state().role()).isEqualTo(PostgresRole.REPLICA);

    b.promote(TIMEOUT);
    a.followLeader(connection("b"));
    world.tick();
    assertThat(a.state().server().orElseThrow().streaming()).isTrue();

    // A running primary told to follow is stopped and comes back as a standby.
    ModelPostgres c = member("c");
    c.bootstrap();
    c.followLeader(connection("b"));
    assertThat(c.state().role()).isEqualTo(PostgresRole.REPLICA);
    assertThat(world.pg("c").upstream()).contains("b");
  }

  @Test
  void promotingAServerThatDoesNotRunFails() {
    ModelPostgres a = member("a");
    a.bootstrap();
    a.stop(StopMode.FAST, TIMEOUT);

    assertThatThrownBy(() -> a.promote(TIMEOUT)).isInstanceOf(PostgresException.class);
    assertThat(world.timelines).containsExactly("a:1");
  }

  @Test
  void anInterruptedCommandDoesNotLand() {
    ModelPostgres a = member("a");
    world.interrupt = true;

    assertThatThrownBy(a::bootstrap).isInstanceOf(CommandTimeoutException.class);
    assertThat(Thread.interrupted()).isTrue();
    assertThat(world.pg("a").run()).isEqualTo(PostgresRunState.NO_DATA);

    world.interrupt = false;
    a.bootstrap();
    world.interrupt = true;
    LocalPostgresState unanswered = a.state();
    assertThat(Thread.interrupted()).isTrue();
    assertThat(unanswered.isRunning()).isTrue();
    assertThat(unanswered.server()).isEmpty();
    assertThat(unanswered.queryError()).isPresent();

    // An interrupted stop ends as the controller's does: the postmaster killed.
    a.stop(StopMode.FAST, TIMEOUT);
    assertThat(Thread.interrupted()).isTrue();
    assertThat(world.pg("a").run()).isEqualTo(PostgresRunState.STOPPED);
  }

  @Test
  void whatIsOutsideTheModelSaysSo() {
    ModelPostgres a = member("a");
    a.standbyCluster(Optional.empty());
    a.nostream(false);
    a.saveDynamicConfig("{}");
    a.probeTimeout(Duration.ofSeconds(1));
    assertThat(a.remotePrimary()).isEmpty();
    assertThat(a.usePgRewind()).isTrue();
    assertThat(a.canCloneWithoutLeader("basebackup")).isFalse();

    assertThatThrownBy(
            () ->
                a.standbyCluster(
                    Optional.of(
                        new RemotePrimary("remote", 5432, null, List.of(), null, null, null))))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("standbyCluster");
    assertThatThrownBy(() -> a.createReplica(null, TIMEOUT))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("createReplica");
    assertThatThrownBy(() -> a.reinitialize(connection("b"), TIMEOUT))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(a.slots().replicationSlots()).isEmpty();
    assertThatThrownBy(() -> a.slots().createPhysicalSlot("pg1"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  // ---- helpers

  private ModelPostgres member(String name) {
    PgModel pg = new PgModel(name);
    world.models.put(name, pg);
    Path dataDir = base.resolve(name);
    PostgresSettings settings =
        PostgresSettings.builder()
            .scope("sim")
            .name(name)
            .dataDir(dataDir)
            .listen("0.0.0.0:5432")
            .connectAddress(name + ":5432")
            .superuser(Credentials.of("postgres", "secret"))
            .replication(Credentials.of("replicator", "secret"))
            .usePgRewind(true)
            .build();
    return new ModelPostgres(name, pg, dataDir, settings, world);
  }

  private void replicaOf(ModelPostgres replica, String leader) {
    replica.createReplica(connection(leader), TIMEOUT);
    replica.start();
    world.tick();
  }

  private static LeaderConnection connection(String member) {
    return new LeaderConnection(member, member, 5432);
  }

  private static List<TimelineHistoryFile.Switch> switches(PgModel pg) {
    return pg.lineage().stream()
        .map(e -> new TimelineHistoryFile.Switch(e.timeline(), e.switchLsn(), e.reason()))
        .toList();
  }

  private static Map<String, String> syncStates(ModelPostgres primary) {
    Map<String, String> states = new LinkedHashMap<>();
    primary.state().replication().forEach(r -> states.put(r.applicationName(), r.syncState()));
    return states;
  }

  /** The members' models; time costs nothing, and the tick streams everything at once. */
  private static final class World implements SimWorld {
    final Map<String, PgModel> models = new LinkedHashMap<>();
    final List<String> timelines = new ArrayList<>();
    final List<String> trace = new ArrayList<>();
    boolean interrupt;
    private long systemIds;

    @Override
    public PgModel pg(String member) {
      return models.get(member);
    }

    @Override
    public List<PgModel> standbysOf(String member) {
      List<PgModel> out = new ArrayList<>();
      for (PgModel m : models.values()) {
        if (m.runningReplica() && m.streaming() && m.upstream().map(member::equals).orElse(false)) {
          out.add(m);
        }
      }
      return out;
    }

    @Override
    public String newSystemId() {
      return Long.toString(7_000_000_000_000_000_000L + ++systemIds);
    }

    @Override
    public void timelineCreated(long timeline, String member) {
      timelines.add(member + ":" + timeline);
    }

    @Override
    public void spend(long minMillis, long maxMillis) throws InterruptedException {
      if (interrupt) {
        throw new InterruptedException();
      }
    }

    @Override
    public void trace(String line) {
      trace.add(line);
    }

    void tick() {
      for (PgModel m : models.values()) {
        m.upstream().ifPresent(u -> m.replicateFrom(models.get(u), Long.MAX_VALUE / 4));
      }
    }
  }
}
