package io.pgregent.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.InMemoryDcs;
import io.pgregent.core.dcs.InMemoryStore;
import io.pgregent.core.time.TaskRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SimThreadsTests {

  private final List<SimThreads> started = new ArrayList<>();

  private SimThreads closing(SimThreads threads) {
    started.add(threads);
    return threads;
  }

  @AfterEach
  void noThreadOutlivesItsTest() {
    started.forEach(SimThreads::close);
  }

  /**
   * Two processes of two threads each: sleepers that wait random times and signal each other. Every
   * wake-up is traced with the simulated time it happened at.
   */
  private static String run(long seed) {
    Simulation sim = new Simulation(seed);
    try (SimThreads threads = new SimThreads(sim)) {
      return run(sim, threads);
    }
  }

  private static String run(Simulation sim, SimThreads threads) {
    for (String name : List.of("a", "b")) {
      SimThreads.Process p = threads.process(name, new DriftingClock(sim));
      TaskRunner.Signal ping = p.signal();
      p.start(
          "sleeper",
          () -> {
            while (true) {
              long seen = ping.count();
              await(ping, seen, sim.between(Duration.ofMillis(1), Duration.ofSeconds(1)));
              sim.trace(name + " sleeper woke, ping " + ping.count());
            }
          });
      p.start(
          "pinger",
          () -> {
            while (true) {
              long seen = ping.count();
              await(ping, seen, sim.between(Duration.ofMillis(1), Duration.ofMillis(700)));
              ping.raise();
              sim.trace(name + " pinged");
            }
          });
    }
    sim.runFor(Duration.ofSeconds(20));
    return sim.trace();
  }

  private static void await(TaskRunner.Signal s, long seen, Duration timeout) {
    try {
      s.await(seen, timeout.toNanos());
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void realThreadsInterleaveTheSameWayForTheSameSeed() {
    String first = run(7);
    assertThat(first.lines().count()).isGreaterThan(50);
    assertThat(run(7)).isEqualTo(first);
    assertThat(run(8)).isNotEqualTo(first);
  }

  @Test
  void aWaiterWakesWhenSignalledOrWhenItsTimeoutRunsOut() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    TaskRunner.Signal signal = p.signal();
    TaskRunner.Signal never = p.signal();
    List<String> woke = new ArrayList<>();
    p.start(
        "signalled",
        () -> {
          await(signal, signal.count(), Duration.ofSeconds(5));
          woke.add("signalled at " + sim.nowNanos());
        });
    p.start(
        "timed out",
        () -> {
          await(never, never.count(), Duration.ofSeconds(3));
          woke.add("timed out at " + sim.nowNanos());
        });
    sim.schedule(Duration.ofSeconds(2), "raise", signal::raise);
    sim.runFor(Duration.ofSeconds(10));
    assertThat(woke).containsExactly("signalled at 2000000000", "timed out at 3000000000");
    assertThat(p.alive()).isZero();
  }

  @Test
  void aTimeoutRunsOnTheProcessClock() {
    Simulation sim = new Simulation(1);
    DriftingClock fast = new DriftingClock(sim);
    fast.drift(100_000); // 10 % fast: its second passes in 1/1.1 s of simulated time
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", fast);
    TaskRunner.Signal signal = p.signal();
    List<Long> at = new ArrayList<>();
    p.start(
        "sleeper",
        () -> {
          await(signal, signal.count(), Duration.ofSeconds(1));
          at.add(sim.nowNanos());
          at.add(fast.nanoTime());
        });
    sim.runFor(Duration.ofSeconds(2));
    assertThat(at.get(0)).isEqualTo(909_090_910L);
    assertThat(at.get(1)).isEqualTo(1_000_000_001L);
  }

  @Test
  void aFrozenProcessRunsNothingUntilItIsThawed() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    TaskRunner.Signal never = p.signal();
    List<Long> ticks = new ArrayList<>();
    p.start(
        "ticker",
        () -> {
          while (true) {
            await(never, never.count(), Duration.ofSeconds(1));
            ticks.add(sim.nowNanos() / 1_000_000);
          }
        });
    sim.schedule(Duration.ofMillis(2500), "freeze", p::freeze);
    sim.schedule(Duration.ofMillis(6500), "thaw", p::thaw);
    sim.runFor(Duration.ofSeconds(8));
    // The tick due at 3 s waits for the thaw; the next one is a second later.
    assertThat(ticks).containsExactly(1000L, 2000L, 6500L, 7500L);
  }

  @Test
  void aKilledProcessUnwindsEveryThreadAndRunsNoMore() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    TaskRunner.Signal never = p.signal();
    List<String> seen = new ArrayList<>();
    for (String name : List.of("one", "two")) {
      p.start(
          name,
          () -> {
            try {
              while (true) {
                await(never, never.count(), Duration.ofMillis(300));
                seen.add(name);
              }
            } finally {
              seen.add(name + " unwound at " + sim.nowNanos() / 1_000_000);
            }
          });
    }
    sim.schedule(Duration.ofMillis(700), "kill", p::kill);
    sim.runFor(Duration.ofSeconds(3));
    assertThat(seen)
        .containsExactly("one", "two", "one", "two", "one unwound at 700", "two unwound at 700");
    assertThat(p.alive()).isZero();
    assertThatThrownBy(() -> p.start("late", () -> {})).isInstanceOf(SimThreads.Killed.class);
  }

  @Test
  void aThreadThatBlocksOutsideTheSimulationFailsTheRunWithItsStack() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim, 200)).process("p", new DriftingClock(sim));
    Object monitor = new Object();
    p.start(
        "blocker",
        () -> {
          synchronized (monitor) {
            try {
              monitor.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
    try {
      assertThatThrownBy(() -> sim.runFor(Duration.ofSeconds(1)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("p/blocker did not hand back")
          .satisfies(
              e ->
                  assertThat(e.getStackTrace())
                      .anyMatch(f -> f.getMethodName().contains("lambda")));
    } finally {
      synchronized (monitor) {
        monitor.notifyAll();
      }
    }
  }

  @Test
  void aThreadThatFailsFailsTheRun() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    p.start(
        "failing",
        () -> {
          throw new IllegalStateException("broken");
        });
    assertThatThrownBy(() -> sim.runFor(Duration.ofSeconds(1)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("p/failing failed")
        .hasRootCauseMessage("broken");
  }

  @Test
  void aThreadWaitingForTheStoreWakesAtTheInstantTheLeaderKeyChanges() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    InMemoryStore store = new InMemoryStore(sim.clock());
    ClusterPath path = ClusterPath.of(null, "sim");
    DcsTimings timings = new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(2));
    InMemoryDcs watched = store.connect("a", path, timings, p.signal());
    InMemoryDcs other = store.connect("b", path, timings);
    List<String> woke = new ArrayList<>();
    p.start(
        "loop",
        () -> {
          try {
            for (int i = 0; i < 2; i++) {
              boolean changed = watched.awaitChange(watched.changeCount(), Duration.ofSeconds(5));
              woke.add(changed + " at " + sim.nowNanos() / 1_000_000);
            }
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
    sim.schedule(
        Duration.ofSeconds(3),
        "b takes the lock",
        () -> {
          other.renewSession();
          other.tryAcquire();
        });
    sim.runFor(Duration.ofSeconds(20));
    assertThat(woke).containsExactly("true at 3000", "false at 8000");
  }

  @Test
  void anInterruptEndsAWaitAndAJoinWaitsForTheInterruptedThreadToEnd() {
    Simulation sim = new Simulation(1);
    SimThreads.Process p = closing(new SimThreads(sim)).process("p", new DriftingClock(sim));
    TaskRunner.Signal never = p.signal();
    List<String> seen = new ArrayList<>();
    TaskRunner.Task worker =
        p.start(
            "worker",
            () -> {
              try {
                never.await(never.count(), -1);
                seen.add("worker woke");
              } catch (InterruptedException e) {
                seen.add("worker interrupted at " + sim.nowNanos() / 1_000_000);
              }
            });
    p.start(
        "boss",
        () -> {
          try {
            never.await(never.count(), Duration.ofSeconds(2).toNanos());
            worker.interrupt();
            worker.join(Long.MAX_VALUE);
            seen.add("joined at " + sim.nowNanos() / 1_000_000);
          } catch (InterruptedException e) {
            seen.add("boss interrupted");
          }
        });
    sim.runFor(Duration.ofSeconds(5));
    assertThat(seen).containsExactly("worker interrupted at 2000", "joined at 2000");
    assertThat(p.alive()).isZero();
  }
}
