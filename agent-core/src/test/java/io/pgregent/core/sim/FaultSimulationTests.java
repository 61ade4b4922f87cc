package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.ha.SyncSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three members run the real decider with the lease guard and the fence modelled, each step of a
 * cycle taking simulated time, each machine's clock drifting, while faults drawn from the seed land
 * between any two steps: machine crashes, a member cut from the store, two members cut from each
 * other, the store down, an agent frozen (SIGSTOP) or its loop stalled, a wall clock jump. After
 * every event: never two writable primaries whose agents both believe they lead, and never a
 * writable PostgreSQL whose member does not hold a live lease in the store. After the faults heal:
 * one leader, every other member streaming from it.
 */
class FaultSimulationTests {

  private static final long TTL_MILLIS = 10_000;
  private static final long LOOP_WAIT_MILLIS = 1_000;
  private static final List<String> NAMES = List.of("pg0", "pg1", "pg2");

  static SimRun run(long seed) {
    return run(seed, FaultSchedule.Fault.ALL);
  }

  static SimRun run(long seed, List<FaultSchedule.Fault> faults) {
    SyncSettings sync =
        FaultSchedule.MODES.get((int) Math.floorMod(seed, (long) FaultSchedule.MODES.size()));
    return run(seed, SimCluster.Options.FULL.withSync(sync), faults);
  }

  static SimRun run(long seed, SimCluster.Options options, List<FaultSchedule.Fault> faults) {
    return Carrier.call(
        () -> {
          Simulation sim = new Simulation(seed);
          try (SimCluster cluster = cluster(sim, options)) {
            return FaultSchedule.run(sim, cluster, Duration.ofMillis(LOOP_WAIT_MILLIS), faults);
          }
        });
  }

  private final List<SimCluster> started = new ArrayList<>();

  private SimCluster closing(SimCluster cluster) {
    started.add(cluster);
    return cluster;
  }

  @AfterEach
  void noThreadOutlivesItsTest() {
    started.forEach(SimCluster::close);
  }

  /** The scenario's three members on a fresh store, not started yet. */
  private static SimCluster cluster(Simulation sim, SimCluster.Options options) {
    return new SimCluster(sim, NAMES, TTL_MILLIS, LOOP_WAIT_MILLIS, options);
  }

  @Test
  void oneSeedGivesTheSameTraceByteForByte() {
    SimRun first = run(20261205L);
    assertThat(run(20261205L).trace()).isEqualTo(first.trace());
    assertThat(first.trace()).contains("fault:").contains("Promote");
  }

  @Test
  void safeThroughoutAndConvergedAfterwardsOverASeedRange() {
    List<String> stuck = new ArrayList<>();
    for (long seed = 1; seed <= 200; seed++) {
      SimRun r = run(seed);
      if (r.notConverged() != null) {
        stuck.add("seed " + seed + ": " + r.notConverged());
      }
    }
    assertThat(stuck).isEmpty();
  }

  /** Without the fence, a frozen leader's PostgreSQL outlives its lease: the checker sees it. */
  @Test
  void withoutTheFenceAFrozenLeaderIsCaught() {
    Simulation sim = new Simulation(7);
    SimCluster cluster =
        closing(cluster(sim, new SimCluster.Options(true, true, false, SyncSettings.OFF)));
    sim.check("writable only under a live lease", cluster::writableWithoutLease);
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    sim.schedule(
        Duration.ofSeconds(30),
        "freeze the leader",
        () ->
            cluster.onTheLeader(
                leader -> {
                  sim.trace("fault: freeze " + leader.name());
                  leader.freeze();
                }));
    assertThatThrownBy(() -> sim.runFor(Duration.ofMinutes(2)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("invariant 'writable only under a live lease' violated");
  }

  /**
   * The commit checker has teeth: in synchronous mode, a standby that missed acknowledged commits
   * made writable by hand (what a failover ignoring the sync key would do) is caught.
   */
  @Test
  void aPrimaryWithoutAcknowledgedCommitsIsCaught() {
    Simulation sim = new Simulation(11);
    SimCluster cluster =
        closing(cluster(sim, SimCluster.Options.FULL.withSync(FaultSchedule.MODES.get(1))));
    sim.check("no acknowledged commit lost", cluster::acknowledgedCommitLost);
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    SimMachine[] behind = crashAStandbyAt30Seconds(sim, cluster);
    sim.schedule(
        Duration.ofSeconds(40),
        "promote the stale standby by hand",
        () -> {
          sim.trace("fault: " + behind[0].name() + " promoted by hand");
          behind[0].pg().start(true, null);
          behind[0].pg().promote();
        });
    assertThatThrownBy(() -> sim.runFor(Duration.ofMinutes(1)))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining("invariant 'no acknowledged commit lost' violated")
        .hasMessageContaining("is writable without the commit acknowledged");
  }

  /** Crashes a standby 30 s into the run, so that it misses commits; the array then holds it. */
  private static SimMachine[] crashAStandbyAt30Seconds(Simulation sim, SimCluster cluster) {
    SimMachine[] behind = new SimMachine[1];
    sim.schedule(
        Duration.ofSeconds(30),
        "crash a standby",
        () -> {
          behind[0] =
              cluster.agents().stream().filter(a -> !a.believesLeader()).findFirst().orElseThrow();
          sim.trace("fault: crash " + behind[0].name());
          behind[0].crash();
        });
    return behind;
  }

  /**
   * The sync key checker has teeth: a key naming a standby that missed acknowledged commits (what
   * an agent that names a standby before it caught up would write) is caught.
   */
  @Test
  void aSyncKeyNamingAStandbyWithoutTheCommitsIsCaught() {
    assertThatThrownBy(() -> runWithAHandWrittenSyncKey(1, "\"sync_standby\":\"%s\""))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining(
            "invariant 'the sync key names holders of every acknowledged commit' violated")
        .hasMessageContaining("which lacks the commit acknowledged");
  }

  /**
   * In quorum mode too: a key whose quorum (0) is smaller than the number of its voters that missed
   * acknowledged commits (1) lets such a voter be elected alone.
   */
  @Test
  void aQuorumTooSmallForTheVotersWithoutTheCommitsIsCaught() {
    assertThatThrownBy(() -> runWithAHandWrittenSyncKey(3, "\"sync_standby\":\"%s\",\"quorum\":0"))
        .isInstanceOf(Simulation.Violation.class)
        .hasMessageContaining(
            "invariant 'the sync key names holders of every acknowledged commit' violated")
        .hasMessageContaining("the sync key's quorum is 0, but voters ")
        .hasMessageContaining(" lack the commit acknowledged");
  }

  /**
   * A standby crashes at 30 s and misses commits; at 40 s the sync key is written by hand, its
   * {@code fields} ({@code %s} the stale standby's name) after the leader's; runs a minute.
   */
  private void runWithAHandWrittenSyncKey(int mode, String fields) {
    Simulation sim = new Simulation(11);
    SimCluster cluster =
        closing(cluster(sim, SimCluster.Options.FULL.withSync(FaultSchedule.MODES.get(mode))));
    sim.check(
        "the sync key names holders of every acknowledged commit",
        cluster::syncKeyNamesAMemberWithoutACommit);
    cluster.start(Duration.ofMillis(LOOP_WAIT_MILLIS));
    SimMachine[] behind = crashAStandbyAt30Seconds(sim, cluster);
    sim.schedule(
        Duration.ofSeconds(40),
        "name the stale standby in the sync key by hand",
        () -> {
          String leader = cluster.leader().orElseThrow().name();
          sim.trace("fault: the sync key names " + behind[0].name() + " by hand");
          cluster.store.writeRaw(
              cluster.leaderKey().replace("/leader", "/sync"),
              "{\"leader\":\"" + leader + "\"," + fields.formatted(behind[0].name()) + "}");
        });
    sim.runFor(Duration.ofMinutes(1));
  }

  /**
   * Found by this simulation (seed 307, quorum mode): a member froze right after asking its peers;
   * while it was frozen another member led, had commits acknowledged and stalled past its lease.
   * The thawed member took the lock on its 34-second-old answers and, in its next cycle, claimed
   * the sync key and promoted without those commits. A standby holding the lock now judges its
   * promotion again on the cycle's view: the key named the other leader, so it hands the lock back.
   * Seed 2953 is the same in synchronous mode.
   */
  @Test
  void aLockTakenOnStaleAnswersIsHandedBackInSynchronousMode() {
    replaysSafely(307, "releasing the leader lock instead of promoting");
    replaysSafely(2953, "releasing the leader lock instead of promoting");
  }

  /**
   * Found by this simulation (seed 914): a member's loop stalled 22 s right after renewing the lock
   * of its crashed primary; the lease ran out, another member led, and the stalled cycle then
   * started PostgreSQL as the primary: two writable primaries. The executor now refuses to make
   * PostgreSQL writable on a renewal whose lease ran out (StaleRenewalTests for the agent's).
   */
  @Test
  void noPrimaryStartsOnARenewalWhoseLeaseRanOut() {
    replaysSafely(914, "not becoming writable: the lease deadline passed");
  }

  /**
   * Found by this simulation (seed 6499, quorum mode): a leader's loop stalled 33 s between reading
   * the view and renewing the lock; meanwhile its lease ran out, another member led (and had
   * commits acknowledged) and lost its own lease. The stalled leader's renewal found the key absent
   * and, as the store contract allowed, created it again, then started its old primary:
   * acknowledged commits lost. A renewal recreates an absent key only while the lease guard still
   * vouches for the lease (the conformance kit's refreshRecreatesALapsedLockOnlyWhenAllowed).
   */
  @Test
  void aLapsedLockIsNotTakenBackByARenewal() {
    replaysSafely(6499, "demoted self because failed to update leader lock in DCS");
  }

  /**
   * Found by this simulation (seed 16995, quorum mode): the sync key's leader, stopped by its
   * fence, came back while another member held the lock without having promoted (it was about to
   * hand it back) and rejoined it through pg_rewind, throwing away the only copy of acknowledged
   * commits. A member whose data is a primary's now waits for the lock holder to run as the primary
   * before rejoining it.
   */
  @Test
  void aFormerPrimaryWaitsForTheLockHolderToPromote() {
    replaysSafely(16995, "to run as the primary before rejoining it");
  }

  /**
   * Found by this simulation once switchover requests were modelled (seeds 75 and 27, quorum mode;
   * seed 110, synchronous mode; docs/simulation.md): replayed with the faults of that day, each
   * stays safe and converges.
   */
  @Test
  void theSwitchoverDaySeedsReplaySafely() {
    for (long seed : new long[] {27, 75, 110}) {
      SimRun r = run(seed, FaultSchedule.Fault.SWITCHOVER_DAY);
      assertThat(r.notConverged()).as(r.trace()).isNull();
      assertThat(r.trace()).as("seed %d", seed).contains("fault: switchover to");
    }
  }

  /**
   * Found by this simulation (seed 6106, synchronous mode): a promotion made while the store was
   * down never reached the history key, and a standby whose WAL had gone past that switch point on
   * the old timeline never learnt that it had diverged: it never streamed again. The leader records
   * every switch of its lineage the key lacks (a row in {@code LineageDeciderRows}), and a
   * promotion now needs the store (it records the timeline it takes first): the run converges.
   */
  @Test
  void aSwitchMadeWhileTheStoreWasDownReachesTheHistoryKey() {
    SimRun r = run(6106, FaultSchedule.Fault.SWITCHOVER_DAY);
    assertThat(r.timelineReused()).isFalse();
    assertThat(r.notConverged()).as(r.trace()).isNull();
  }

  /**
   * Found by this simulation (seed 891088): a primary stopped by its fence came back and, promoted
   * again, numbered its timeline 11 as another member had before; a standby that had followed that
   * member's lineage onto timeline 12 was ahead of the leader's number, so it was never judged by
   * the history key and never streamed again (a standby past the leader's timeline is now judged by
   * the key once the leader wrote it: rows in {@code LineageDeciderRows}). Promotions now number
   * past every timeline the store knows: no number is taken twice, and the run converges.
   */
  @Test
  void aPromotionNumbersPastTheTimelinesOtherMembersTook() {
    SimRun r = run(891088, FaultSchedule.Fault.ALL);
    assertThat(r.timelineReused()).isFalse();
    assertThat(r.notConverged()).as(r.trace()).isNull();
  }

  /**
   * Found by this simulation (seed 449068; 479932 alike): a leader promoted four times while its
   * store link lost requests, none of its timelines reaching a key, and took a standby with it to
   * timeline 12; a frozen member then led and promoted from where both lineages had left timeline
   * 9, numbering its timeline 10 again. pg_rewind would have taken the two timelines 10, begun at
   * one point, for one and rewound too little. A promotion now records the number it takes in the
   * store first, and does not run when it cannot: no number is taken twice and the run converges.
   */
  @Test
  void aLeaderThatCannotRecordItsTimelineDoesNotPromote() {
    SimRun r = run(449068);
    assertThat(r.timelineReused()).isFalse();
    assertThat(r.notConverged()).as(r.trace()).isNull();
    assertThat(r.trace()).contains("pg1 not promoting: the taken timeline cannot be recorded");
  }

  /**
   * Found by this simulation (seed 28540): two members left timeline 7 at one point, onto timelines
   * 8 and 9 (the second numbering past the first, as promotions now do). The leader on 9 repaired
   * the history key, but the switch out of 7 kept the first one's name, and a repaired switch lost
   * its new leader when written without a time: the leader repaired the key every cycle, and the
   * standby on 8 never learnt that its timeline is not in the leader's history. The switch into the
   * leader's timeline is now its own, and the key keeps a new leader without a time.
   */
  @Test
  void aStandbyOnATimelineTheLeaderSkippedRejoinsIt() {
    replaysSafely(
        28540, FaultSchedule.Fault.ALL, "pg0 Rejoin: my timeline 8 is not in the leader's history");
    assertThat(run(28540).trace().split("history key repaired", -1)).hasSize(2);
  }

  private static void replaysSafely(long seed, String fixedBy) {
    replaysSafely(seed, FaultSchedule.Fault.FIRST_DAY, fixedBy);
  }

  /** A regression seed, replayed with the faults it was found with: safe, converged, and fixed. */
  private static void replaysSafely(long seed, List<FaultSchedule.Fault> faults, String fixedBy) {
    SimRun r = run(seed, faults);
    assertThat(r.notConverged()).as(r.trace()).isNull();
    assertThat(r.trace()).as("seed %d", seed).contains(fixedBy);
  }
}
