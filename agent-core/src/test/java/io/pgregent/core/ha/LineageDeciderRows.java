package io.pgregent.core.ha;

import static io.pgregent.core.ha.HaDeciderTests.row;
import static io.pgregent.core.ha.HaInputs.ME;
import static io.pgregent.core.ha.HaInputs.input;
import static io.pgregent.core.ha.HaInputs.notStreaming;
import static io.pgregent.core.ha.HaInputs.primary;
import static io.pgregent.core.ha.HaInputs.refreshedLeader;
import static io.pgregent.core.ha.HaInputs.replicaOf;
import static io.pgregent.core.ha.HaInputs.withTimeline;

import io.pgregent.core.cluster.TimelineHistory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Rows of the decision table for lineages told apart by switch points: one timeline number taken by
 * two primaries that never saw each other's (the history key holds {@code t} ending at {@code t *
 * 100}, as {@link HaInputs.Builder#historyUpTo} writes it).
 */
final class LineageDeciderRows {

  private LineageDeciderRows() {}

  /** On {@code timeline}, whose history file has each earlier one end at {@code ends}. */
  static LocalState onLineage(LocalState l, long timeline, long... ends) {
    List<TimelineHistory.Entry> lineage = new ArrayList<>();
    for (int i = 0; i < ends.length; i++) {
      lineage.add(
          new TimelineHistory.Entry(i + 1, ends[i], "no recovery target specified", null, null));
    }
    return withTimeline(l, timeline).withLineage(lineage);
  }

  static Stream<Arguments> rows() {
    LocalState forked = notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 150));
    return Stream.of(
        row(
            "leader whose timeline history ends timeline 2 elsewhere than the key: repair the key",
            input()
                .leader(ME)
                .local(onLineage(primary(300), 3, 100, 250))
                .historyUpTo(3)
                .cycle(CycleFacts.fresh().withLockRefreshed(true)),
            new Action.RepairHistory(),
            Reason.HISTORY_DIFFERS_FROM_TIMELINE_FILE),
        row(
            "leader whose key lacks an older switch of its lineage (a promotion made while the"
                + " store was down): repair the key (simulation seed 6106)",
            input()
                .leader(ME)
                .local(onLineage(primary(300), 4, 100, 200, 300))
                .historyLeaving(null, 2, 3)
                .cycle(CycleFacts.fresh().withLockRefreshed(true)),
            new Action.RepairHistory(),
            Reason.REPAIRING_HISTORY),
        row(
            "leader whose timeline history is the key: nothing to repair",
            input()
                .leader(ME)
                .local(onLineage(primary(300), 3, 100, 200))
                .historyUpTo(3)
                .cycle(CycleFacts.fresh().withLockRefreshed(true)),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "leader that repaired the key this cycle does not try again",
            input()
                .leader(ME)
                .local(onLineage(primary(300), 3, 100, 250))
                .historyUpTo(3)
                .cycle(CycleFacts.fresh().withLockRefreshed(true).withHistoryRepaired()),
            new Action.None(),
            Reason.LEADER_WITH_LOCK),
        row(
            "a standby on the leader's timeline number begun elsewhere rejoins through pg_rewind",
            input().leader("pg0").leaderTimeline(3).historyUpTo(3).local(forked),
            new Action.Rejoin("pg0"),
            Reason.FORKED_OFF_LEADER_LINEAGE),
        row(
            "a standby on an older timeline number begun elsewhere rejoins through pg_rewind",
            input()
                .leader("pg0")
                .leaderTimeline(5)
                .historyUpTo(5)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 150))),
            new Action.Rejoin("pg0"),
            Reason.FORKED_OFF_LEADER_LINEAGE),
        row(
            "a streaming standby whose history differs from the key follows (the key is off)",
            input()
                .leader("pg0")
                .leaderTimeline(3)
                .historyUpTo(3)
                .local(onLineage(replicaOf("pg0", 250), 3, 100, 150)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby not streaming on the leader's lineage follows",
            input()
                .leader("pg0")
                .leaderTimeline(3)
                .historyUpTo(3)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 200))),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby whose history file is unknown follows",
            input()
                .leader("pg0")
                .leaderTimeline(3)
                .historyUpTo(3)
                .local(notStreaming(withTimeline(replicaOf("pg0", 250), 3))),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby ahead of the leader's timeline, parted from the key the leader wrote,"
                + " rejoins through pg_rewind (simulation seed 891088)",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyLeaving("pg0", 1)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 150, 200))),
            new Action.Rejoin("pg0"),
            Reason.FORKED_OFF_LEADER_LINEAGE),
        row(
            "a standby ahead of a leader that promoted again (its keys still name the promotion"
                + " before) follows",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyLeaving("pg0", 1)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 200))),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a streaming standby ahead of the leader's timeline follows",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyLeaving("pg0", 1)
                .local(onLineage(replicaOf("pg0", 250), 3, 150, 200)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby past the leader's timeline, which it left where the leader has written"
                + " past, is not rewound: the number may be two timelines begun at one point,"
                + " which pg_rewind takes for one (simulation seed 449068)",
            input()
                .leader("pg0")
                .leaderAt(2, 260)
                .historyUpTo(2)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 200))),
            new Action.None(),
            Reason.PAST_LEADER_TIMELINE),
        row(
            "a standby past the leader's timeline, which its history never passed, rejoins"
                + " through pg_rewind",
            input()
                .leader("pg0")
                .leaderAt(2, 260)
                .historyUpTo(2)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100))),
            new Action.Rejoin("pg0"),
            Reason.NEVER_ON_LEADER_TIMELINE),
        row(
            "a standby past the leader's timeline follows while the leader's key is not past"
                + " where it left that timeline (the leader may have promoted again)",
            input()
                .leader("pg0")
                .leaderAt(2, 200)
                .historyUpTo(2)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 100, 200))),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a streaming standby past the leader's timeline follows",
            input()
                .leader("pg0")
                .leaderAt(2, 260)
                .historyUpTo(2)
                .local(onLineage(replicaOf("pg0", 250), 3, 100, 200)),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "a standby ahead of the leader's timeline is not judged by a key the leader did not"
                + " write",
            input()
                .leader("pg0")
                .leaderTimeline(2)
                .historyUpTo(2)
                .local(notStreaming(onLineage(replicaOf("pg0", 250), 3, 150, 200))),
            new Action.None(),
            Reason.FOLLOWING_LEADER),
        row(
            "paused: a forked standby is left to the operator",
            input()
                .settings(HaInputs.paused())
                .leader("pg0")
                .leaderTimeline(3)
                .historyUpTo(3)
                .local(forked),
            new Action.None(),
            Reason.PAUSED_SECONDARY),
        row(
            "standby holding the lock, the key past its timeline: promote, numbering past the"
                + " key's timelines (simulation seeds 6, 809, 891088)",
            refreshedLeader(withTimeline(replicaOf("pg0", 10), 3)).historyUpTo(5),
            new Action.Promote(5),
            Reason.PROMOTED_BECAUSE_HAD_LOCK),
        row(
            "standby holding the lock, a member's key names a timeline no switch in the key has:"
                + " promote, numbering past it",
            refreshedLeader(withTimeline(replicaOf("pg0", 10), 3))
                .historyUpTo(3)
                .memberTimeline("pg2", 7),
            new Action.Promote(7),
            Reason.PROMOTED_BECAUSE_HAD_LOCK),
        row(
            "standby that won the lock while the store records a timeline past every key: promote,"
                + " numbering past it (a promoter cut off before any other key named its timeline;"
                + " loop simulation seed 24)",
            refreshedLeader(withTimeline(replicaOf("pg0", 10), 3))
                .historyUpTo(3)
                .memberTimeline("pg2", 3)
                .takenTimeline(4),
            new Action.Promote(4),
            Reason.PROMOTED_BECAUSE_HAD_LOCK),
        row(
            "standby holding the lock, no timeline known past its own: a plain promotion",
            refreshedLeader(withTimeline(replicaOf("pg0", 10), 6))
                .historyUpTo(6)
                .memberTimeline("pg2", 4),
            new Action.Promote(),
            Reason.PROMOTED_BECAUSE_HAD_LOCK));
  }
}
