package io.pgregent.core.ha;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Leader;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.SyncState;
import io.pgregent.core.dcs.ClusterCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The resolver against a model of PostgreSQL's synchronous replication: standbys come and go at
 * random, commits are acknowledged as PostgreSQL would under the {@code synchronous_standby_names}
 * in force, and after every step the {@code sync} key must name only members that together hold
 * every acknowledged commit. Seeded; the seed is printed.
 */
class SyncStandbyResolverTests {

  private static final List<String> STANDBYS = List.of("a", "b", "c", "d");

  @Test
  void namesAreQuotedAndReadBack() {
    SyncSettings on = new SyncSettings(SyncSettings.Mode.ON, 2, false, -1);
    SyncSettings quorum = new SyncSettings(SyncSettings.Mode.QUORUM, 1, true, -1);
    assertThat(SyncStandbyResolver.namesFor(on, List.of("a"), 1)).isEqualTo("\"a\"");
    assertThat(SyncStandbyResolver.namesFor(on, List.of("a", "b\"x"), 2))
        .isEqualTo("2 (\"a\",\"b\"\"x\")");
    assertThat(SyncStandbyResolver.namesFor(quorum, List.of("a", "b"), 1))
        .isEqualTo("ANY 1 (\"a\",\"b\")");
    assertThat(SyncStandbyResolver.namesFor(on, List.of(), 0)).isEmpty();
    assertThat(SyncStandbyResolver.namesFor(quorum, List.of(), 0)).isEqualTo("ANY 1 (*)");
    assertThat(
            SyncStandbyResolver.namesFor(
                new SyncSettings(SyncSettings.Mode.ON, 1, true, -1), List.of(), 0))
        .isEqualTo("*");
    assertThat(SyncStandbyResolver.namesIn("2 (\"A\",\"b\"\"x\")")).containsExactly("a", "b\"x");
  }

  @ParameterizedTest
  @EnumSource(
      value = SyncSettings.Mode.class,
      names = {"ON", "QUORUM"})
  void theSyncKeyAlwaysNamesHoldersOfEveryAcknowledgedCommit(SyncSettings.Mode mode) {
    long seed = new Random().nextLong();
    System.out.println("SyncStandbyResolverTests " + mode + " seed " + seed);
    Random random = new Random(seed);
    for (int run = 0; run < 20; run++) {
      int count = 1 + random.nextInt(3);
      boolean strict = random.nextBoolean();
      new Model(new SyncSettings(mode, count, strict, -1), random, seed).run(400);
    }
  }

  /** One primary ("p") and four standbys. */
  private static final class Model {
    final SyncSettings sync;
    final Random random;
    final long seed;
    final Map<String, Long> flush = new HashMap<>();
    final Set<String> connected = new java.util.HashSet<>();
    final List<Long> pending = new ArrayList<>();
    final List<Long> acknowledged = new ArrayList<>();
    long wal = 1;
    Optional<String> names = Optional.empty();
    long mark = 0;
    SyncState key = null;
    long keyVersion = 0;

    Model(SyncSettings sync, Random random, long seed) {
      this.sync = sync;
      this.random = random;
      this.seed = seed;
      STANDBYS.forEach(s -> flush.put(s, 0L));
    }

    void run(int ticks) {
      for (int t = 0; t < ticks; t++) {
        if (random.nextInt(5) == 0) {
          String s = STANDBYS.get(random.nextInt(STANDBYS.size()));
          if (!connected.remove(s)) {
            connected.add(s);
          }
        }
        pending.add(++wal);
        for (String s : connected) {
          flush.put(s, Math.min(wal, flush.get(s) + 1 + random.nextInt(3)));
        }
        acknowledge();
        step();
        check(t);
      }
      // Steady: everyone connected and caught up, the resolver converges.
      connected.addAll(STANDBYS);
      for (int t = 0; t < 50; t++) {
        pending.add(++wal);
        STANDBYS.forEach(s -> flush.put(s, wal));
        acknowledge();
        step();
        check(ticks + t);
      }
      int expected =
          sync.mode() == SyncSettings.Mode.QUORUM ? STANDBYS.size() : Math.min(4, sync.nodeCount());
      assertThat(key.syncStandbys()).as("seed %d: converged", seed).hasSize(expected);
      if (sync.mode() == SyncSettings.Mode.QUORUM) {
        assertThat(key.quorum()).isEqualTo(STANDBYS.size() - sync.nodeCount());
      }
    }

    /** PostgreSQL: which connected standbys are synchronous under the names in force. */
    Map<String, String> syncStates() {
      String value = names.orElse("");
      Set<String> listed =
          value.contains("*") ? Set.copyOf(connected) : SyncStandbyResolver.namesIn(value);
      Map<String, String> states = new TreeMap<>();
      int firstN = required(value);
      int taken = 0;
      // Names are listed in priority order for FIRST; this model's names are sorted.
      for (String s : listed.stream().sorted().toList()) {
        if (!connected.contains(s)) {
          continue;
        }
        if (value.startsWith("ANY")) {
          states.put(s, "quorum");
        } else {
          states.put(s, taken++ < firstN ? "sync" : "potential");
        }
      }
      connected.stream().filter(s -> !states.containsKey(s)).forEach(s -> states.put(s, "async"));
      return states;
    }

    static int required(String value) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("^(?:ANY )?(\\d+) \\(").matcher(value);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      return SyncStandbyResolver.namesIn(value).isEmpty() ? 0 : 1;
    }

    void acknowledge() {
      String value = names.orElse("");
      // "*": any connected standby confirms commits.
      Set<String> listed =
          value.contains("*") ? Set.copyOf(connected) : SyncStandbyResolver.namesIn(value);
      int k = required(value);
      List<Long> done = new ArrayList<>();
      for (long lsn : pending) {
        long holders = listed.stream().filter(s -> flush.getOrDefault(s, 0L) >= lsn).count();
        boolean ack;
        if (value.contains("*")) {
          // At most as strict as PostgreSQL: the first standby to flush confirms.
          ack = holders >= 1;
        } else if (k == 0) {
          ack = true;
        } else if (value.startsWith("ANY")) {
          ack = holders >= k;
        } else {
          // FIRST k: the k highest-priority connected standbys must confirm.
          List<String> first =
              listed.stream().sorted().filter(connected::contains).limit(k).toList();
          ack = first.size() == k && first.stream().allMatch(s -> flush.get(s) >= lsn);
        }
        if (ack) {
          done.add(lsn);
        }
      }
      pending.removeAll(done);
      acknowledged.addAll(done);
    }

    void step() {
      TreeMap<String, Member> members = new TreeMap<>();
      for (String n : List.of("p", "a", "b", "c", "d")) {
        ObjectNode data = ClusterCodec.nodes().objectNode();
        members.put(n, Member.of(n, data));
      }
      ClusterView view =
          new ClusterView(
              Optional.empty(),
              Optional.empty(),
              Optional.of(new Leader("p", 1)),
              members,
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              Optional.ofNullable(key),
              Optional.empty(),
              List.of());
      List<StandbyLink> links = new ArrayList<>();
      syncStates().forEach((s, st) -> links.add(new StandbyLink(s, "streaming", st, flush.get(s))));
      LocalState local =
          new LocalState(
              PostgresRunState.RUNNING,
              false,
              Optional.empty(),
              1,
              wal,
              Optional.empty(),
              false,
              Optional.empty(),
              new ReplicationStatus(names, mark, links),
              List.of(),
              false);
      HaSettings base = HaInputs.settings(false, false, 1, false, false);
      HaSettings settings =
          new HaSettings(
              "p",
              base.ttlMillis(),
              base.loopWaitMillis(),
              base.retryTimeoutMillis(),
              base.maximumLagOnFailover(),
              false,
              base.primaryStartTimeoutMillis(),
              false,
              false,
              false,
              1,
              sync,
              null,
              false,
              false,
              null);
      HaInput in =
          new HaInput(
              Optional.of(view), local, CycleFacts.fresh(), settings, AgentMemory.initial(), 0, 0);
      Optional<Decision> d = SyncStandbyResolver.nextStep(in, view);
      if (d.isEmpty()) {
        return;
      }
      Action a = d.get().action();
      if (a instanceof Action.WriteSyncState w) {
        assertThat(w.state().version()).isEqualTo(keyVersion);
        keyVersion++;
        key =
            new SyncState(
                w.state().leader(), w.state().syncStandbys(), w.state().quorum(), keyVersion);
      } else if (a instanceof Action.SetSyncStandbyNames s) {
        names = s.value();
        mark = wal;
      } else {
        throw new AssertionError("unexpected " + a);
      }
    }

    void check(int tick) {
      if (key == null) {
        return;
      }
      List<String> standbys = key.syncStandbys();
      int quorum = key.quorum() == null ? 0 : key.quorum();
      for (long lsn : acknowledged) {
        long without = standbys.stream().filter(s -> flush.get(s) < lsn).count();
        if (sync.mode() == SyncSettings.Mode.QUORUM) {
          assertThat(without)
              .as(
                  "seed %d tick %d: voters %s quorum %d, commit %d",
                  seed, tick, standbys, quorum, lsn)
              .isLessThanOrEqualTo(quorum);
        } else {
          assertThat(without)
              .as("seed %d tick %d: sync standbys %s lack commit %d", seed, tick, standbys, lsn)
              .isZero();
        }
      }
    }
  }
}
