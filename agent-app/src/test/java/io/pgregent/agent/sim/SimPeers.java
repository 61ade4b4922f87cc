package io.pgregent.agent.sim;

import io.pgregent.agent.loop.FailsafeHeartbeats;
import io.pgregent.agent.loop.PeerCalls;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.core.time.TaskRunner;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * One member's calls to the other members' REST APIs in the simulation (status queries and failsafe
 * mode's heartbeats): each request is served on the other machine's REST thread (so a frozen or
 * dead agent does not answer), within the 2 s bound and the 200 ms of slack the HTTP client has;
 * members cut apart never hear each other.
 */
final class SimPeers implements PeerCalls {

  private static final long BOUND_NANOS = 2_200_000_000L;

  private final LoopMember self;

  SimPeers(LoopMember self) {
    this.self = self;
  }

  /** One query's answers; once closed, late answers are dropped. */
  static final class Pending {
    final Map<String, PeerStatus> answers = new TreeMap<>();
    final TaskRunner.Signal arrived;
    boolean closed;

    Pending(TaskRunner.Signal arrived) {
      this.arrived = arrived;
    }

    void answer(PeerStatus status) {
      if (!closed) {
        answers.put(status.name(), status);
        arrived.raise();
      }
    }
  }

  @Override
  public Map<String, PeerStatus> query(Collection<Member> members) {
    Pending pending = new Pending(self.signal());
    List<Member> sorted = members.stream().sorted(Comparator.comparing(Member::name)).toList();
    for (Member m : sorted) {
      LoopMember target = self.peer(m.name());
      if (target == null || !target.up()) {
        // Connection refused: no agent listens there.
        pending.answers.put(m.name(), PeerStatus.unreachable(m.name()));
      } else if (!self.cutFrom(m.name())) {
        target.serve(target.statusQuery(pending));
      }
    }
    try {
      long deadline = self.nanoTime() + BOUND_NANOS;
      while (pending.answers.size() < sorted.size()) {
        long seen = pending.arrived.count();
        long left = deadline - self.nanoTime();
        if (left <= 0) {
          break;
        }
        pending.arrived.await(seen, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pending.closed = true;
    Map<String, PeerStatus> answers = new TreeMap<>(pending.answers);
    for (Member m : sorted) {
      answers.putIfAbsent(m.name(), PeerStatus.unreachable(m.name()));
    }
    self.afterCallKeepingInterrupt("peers");
    return answers;
  }

  @Override
  public boolean allAcceptFailsafe(
      String name,
      String connUrl,
      String apiUrl,
      Map<String, String> members,
      Map<String, Long> slots,
      Map<String, Long> lsns) {
    Map<String, FailsafeHeartbeats.Answer> answers = new TreeMap<>();
    TaskRunner.Signal arrived = self.signal();
    boolean[] closed = {false};
    List<String> sorted = members.keySet().stream().sorted().toList();
    for (String m : sorted) {
      LoopMember target = self.peer(m);
      if (target == null || !target.up()) {
        // Connection refused: no agent listens there.
        answers.put(m, REFUSED);
      } else if (!self.cutFrom(m)) {
        // POST /failsafe, as the REST API answers it (FailsafeController).
        target.serve(
            (loop, heartbeats, nanos) -> {
              FailsafeHeartbeats.Answer a =
                  loop.failsafeMode()
                      ? heartbeats.answer(loop.snapshot(), nanos, slots)
                      : new FailsafeHeartbeats.Answer(
                          502, "Failsafe mode is not enabled", OptionalLong.empty());
              if (a.accepted()) {
                target.promise(name);
              }
              return () -> {
                if (!closed[0]) {
                  answers.put(m, a);
                  arrived.raise();
                }
              };
            });
      }
    }
    try {
      long deadline = self.nanoTime() + BOUND_NANOS;
      while (answers.size() < sorted.size()) {
        long seen = arrived.count();
        long left = deadline - self.nanoTime();
        if (left <= 0) {
          break;
        }
        arrived.await(seen, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed[0] = true;
    boolean all = true;
    for (String m : sorted) {
      FailsafeHeartbeats.Answer a = answers.get(m);
      if (a != null && a.accepted()) {
        a.lsn().ifPresent(lsn -> lsns.put(m, lsn));
      } else {
        all = false;
      }
    }
    return all;
  }

  private static final FailsafeHeartbeats.Answer REFUSED =
      new FailsafeHeartbeats.Answer(0, "connection refused", OptionalLong.empty());
}
