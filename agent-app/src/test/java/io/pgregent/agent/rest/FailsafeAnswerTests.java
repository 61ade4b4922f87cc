package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.FailsafeHeartbeats;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What {@code POST /failsafe} answers a primary cut off from the store (the REST API and the
 * simulation share it): a replica accepts, reports its WAL position and keeps the slot positions; a
 * member that leads, runs a primary or races for the lock refuses and records nothing.
 */
class FailsafeAnswerTests {

  private static Optional<AgentSnapshot> replica(boolean holdsLock) {
    return Optional.of(
        Snapshots.snapshot(
            Snapshots.running(Snapshots.replicaServer(500, 400)),
            Optional.empty(),
            holdsLock,
            false));
  }

  @Test
  void aReplicaAcceptsWithItsWalPositionAndKeepsTheSlots() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    FailsafeHeartbeats.Answer a = h.answer(replica(false), 10, Map.of("pg2", 42L));
    assertThat(a.accepted()).isTrue();
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.lsn()).hasValue(500);
    assertThat(h.slots()).isEqualTo(Map.of("pg2", 42L));
    assertThat(h.last()).hasValue(10);
  }

  @Test
  void aLeaderOrARunningPrimaryRefusesAndRecordsNothing() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    FailsafeHeartbeats.Answer leader = h.answer(replica(true), 10, Map.of("pg2", 42L));
    Optional<AgentSnapshot> primary =
        Optional.of(
            Snapshots.snapshot(
                Snapshots.running(Snapshots.primaryServer(900)), Optional.empty(), false, false));
    FailsafeHeartbeats.Answer running = h.answer(primary, 11, Map.of("pg2", 43L));
    for (FailsafeHeartbeats.Answer a : new FailsafeHeartbeats.Answer[] {leader, running}) {
      assertThat(a.accepted()).isFalse();
      assertThat(a.status()).isEqualTo(409);
      assertThat(a.body()).isEqualTo("Running as a leader");
      assertThat(a.lsn()).isEmpty();
    }
    assertThat(h.last()).isEmpty();
    assertThat(h.slots()).isEmpty();
  }

  @Test
  void aMemberRacingForTheLockRefuses() {
    FailsafeHeartbeats h = new FailsafeHeartbeats();
    assertThat(h.claim(5, 0)).isTrue();
    assertThat(h.answer(replica(false), 10, Map.of()).status()).isEqualTo(409);
    assertThat(h.last()).isEmpty();
  }
}
