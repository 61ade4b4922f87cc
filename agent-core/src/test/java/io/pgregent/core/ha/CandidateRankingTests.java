package io.pgregent.core.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateRankingTests {

  private static PeerStatus peer(String name, long wal, boolean nofailover, int priority) {
    return new PeerStatus(name, true, false, wal, 1, nofailover, priority);
  }

  @Test
  void noPeersMeansHealthiest() {
    assertThat(CandidateRanking.isHealthiest(1, 1, List.of())).isTrue();
  }

  @Test
  void anUnreachablePeerDoesNotBlock() {
    assertThat(CandidateRanking.isHealthiest(1, 1, List.of(PeerStatus.unreachable("pg2"))))
        .isTrue();
  }

  @Test
  void aLivePrimaryBlocks() {
    assertThat(
            CandidateRanking.isHealthiest(
                100, 1, List.of(new PeerStatus("pg0", true, true, 1, 1, false, 1))))
        .isFalse();
  }

  @Test
  void aNofailoverPeerAheadDoesNotBlock() {
    assertThat(CandidateRanking.isHealthiest(1, 1, List.of(peer("pg2", 9, true, 1)))).isTrue();
  }

  @Test
  void theWinnerIsNamedWithItsWalPositionOrPriority() {
    assertThat(CandidateRanking.outranked(1, 1, List.of(peer("pg2", 9, false, 1))).get().message())
        .contains("Wal position of pg2 is ahead of my wal position");
    assertThat(CandidateRanking.outranked(5, 1, List.of(peer("pg3", 5, false, 2))).get().message())
        .contains(
            "pg3 has equally tolerable WAL position and priority 2, while this node has priority 1");
  }

  @Test
  void equalPositionsAreBrokenByPriority() {
    assertThat(CandidateRanking.isHealthiest(5, 1, List.of(peer("pg2", 5, false, 2)))).isFalse();
    assertThat(CandidateRanking.isHealthiest(5, 2, List.of(peer("pg2", 5, false, 1)))).isTrue();
    assertThat(CandidateRanking.isHealthiest(5, 1, List.of(peer("pg2", 5, false, 1)))).isTrue();
  }
}
