package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.ClusterStore;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code switchover}: asks the leader's REST API to hand over ({@code POST /switchover}); when the
 * leader cannot be reached, writes the {@code failover} key itself, as patronictl does. Then it
 * watches the store for the new leader within a stated bound and reports what the store shows.
 */
@Command(name = "switchover", description = "Switch the leader over to a replica")
class SwitchoverCommand extends CtlCommand {

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSS");

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(
      names = {"--leader", "--primary", "--master"},
      paramLabel = "NAME",
      description = "The current leader")
  String leader;

  @Option(names = "--candidate", paramLabel = "NAME", description = "The member to promote")
  String candidate;

  @Option(
      names = "--scheduled",
      paramLabel = "TIMESTAMP",
      description = "When: an ISO 8601 timestamp, or now")
  String scheduled;

  @Option(names = "--force", description = "Do not ask for confirmation")
  boolean force;

  boolean failover() {
    return false;
  }

  @Override
  public Integer call() throws Exception {
    String action = failover() ? "failover" : "switchover";
    if (failover() && scheduled != null) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "a failover cannot be scheduled: use switchover");
    }
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      ClusterState state = new ClusterState(s.scope(), view);
      String current = state.leader;
      if (!failover() && current == null) {
        throw new CtlException(
            "This cluster has no leader: use regentctl failover --candidate NAME");
      }
      if (!failover() || leader != null) {
        if (leader == null) {
          leader = force ? current : terminal().prompt("Primary", current);
        }
        if (!leader.equals(current)) {
          throw new CtlException("Member " + leader + " is not the leader of cluster " + s.scope());
        }
      }
      List<String> candidates =
          state.rows.stream().map(ClusterState.Row::name).filter(n -> !n.equals(current)).toList();
      if (candidate == null && !force) {
        candidate =
            terminal()
                .prompt(
                    "Candidate ["
                        + String.join(", ", candidates.stream().map(c -> "'" + c + "'").toList())
                        + "]",
                    "");
        if (candidate.isBlank()) {
          candidate = null;
        }
      }
      if (failover() && candidate == null) {
        throw new CtlException("Failover could be performed only to a specific candidate");
      }
      if (candidate != null) {
        if (candidate.equals(current)) {
          throw new CtlException(
              "Member " + candidate + " is already the leader of cluster " + s.scope());
        }
        if (!candidates.contains(candidate)) {
          throw new CtlException("Member " + candidate + " does not exist in cluster " + s.scope());
        }
      }
      OffsetDateTime at = null;
      if (!failover()) {
        if (scheduled == null && !force) {
          String example =
              OffsetDateTime.now()
                  .plusHours(1)
                  .truncatedTo(ChronoUnit.MINUTES)
                  .toLocalDateTime()
                  .toString();
          scheduled =
              terminal()
                  .prompt("When should the switchover take place (e.g. " + example + " ) ", "now");
        }
        at = parseSchedule(scheduled);
      }
      if (!force) {
        terminal().out().print(ListCommand.render(state, "pretty", false, false));
        String q =
            current == null
                ? "Are you sure you want to " + action + " cluster " + s.scope() + "?"
                : "Are you sure you want to "
                    + action
                    + " cluster "
                    + s.scope()
                    + ", demoting current leader "
                    + current
                    + "?";
        terminal().confirmOrAbort(q);
      }

      Map<String, Object> body = new LinkedHashMap<>();
      if (leader != null) {
        body.put("leader", leader);
      }
      if (candidate != null) {
        body.put("candidate", candidate);
      }
      if (at != null) {
        body.put("scheduled_at", at.toString());
      }
      int loopWait = view.config().map(ClusterConfig::loopWait).orElse(settings().loopWait());
      Duration bound = Duration.ofSeconds(2L * Math.max(10, loopWait));
      Optional<Member> target =
          current != null
              ? state.leaderMember()
              : state.row(candidate).map(ClusterState.Row::member);
      MemberApi.Response r =
          target.isPresent() && target.get().apiUrl().isPresent()
              ? api().call(target.get(), "POST", action, Formats.json(body), bound.plusSeconds(15))
              : new MemberApi.Response(-1, "no REST API published");
      if (r.status() == 202) {
        println(stamp() + " " + r.body().strip());
        return 0;
      }
      if (r.ok()) {
        println(stamp() + " " + r.body().strip());
      } else if (r.reached() && r.status() != 503) {
        // Refused before anything changed (4xx): nothing to wait for.
        throw new CtlException(
            capitalize(action) + " failed, details: " + r.status() + ", " + r.body().strip());
      } else if (r.reached()) {
        println(
            stamp() + " " + capitalize(action) + " reply: " + r.status() + ", " + r.body().strip());
      } else {
        println(
            "Could not reach the "
                + (current != null ? "leader" : "candidate")
                + "'s REST API ("
                + r.body()
                + "); writing the failover key in the store");
        Map<String, Object> key = new LinkedHashMap<>();
        if (leader != null) {
          key.put("leader", leader);
        }
        if (candidate != null) {
          key.put("member", candidate);
        }
        if (at != null) {
          key.put("scheduled_at", at.toString());
        }
        long version = view.failover().map(Failover::version).orElse(ClusterStore.CREATE_ONLY);
        if (!s.dcs().compareAndSet(ClusterKey.FAILOVER, version, Formats.json(key))) {
          throw new CtlException(
              "The failover key changed in the store meanwhile; nothing written, run the command"
                  + " again");
        }
        if (at != null) {
          println(stamp() + " " + capitalize(action) + " scheduled");
          return 0;
        }
      }
      return awaitLeader(s, current, bound);
    }
  }

  /** Watches the store until a new leader holds the lock, and says what the store shows. */
  private int awaitLeader(Session s, String old, Duration bound) throws InterruptedException {
    long since = s.dcs().changeCount();
    ClusterView view = s.read();
    if (!done(view, old)) {
      println("Waiting up to " + bound.toSeconds() + " s for the store to show the new leader");
      long deadline = System.nanoTime() + bound.toNanos();
      while (!done(view, old) && System.nanoTime() < deadline) {
        // The store's watch wakes us when the leader key changes; re-read at least every second.
        long left = Math.max(1, Math.min(deadline - System.nanoTime(), 1_000_000_000L));
        s.dcs().awaitChange(since, Duration.ofNanos(left));
        since = s.dcs().changeCount();
        view = s.read();
      }
    }
    ClusterState state = new ClusterState(s.scope(), view);
    if (done(view, old)) {
      println(stamp() + " The store shows " + state.leader + " as the leader");
      terminal().out().print(ListCommand.render(state, "pretty", false, false));
      terminal().out().flush();
      return 0;
    }
    String shows =
        state.leader == null
            ? "no leader"
            : state.leader.equals(old) ? state.leader + " still the leader" : state.leader;
    String pending =
        view.failover()
            .filter(f -> !f.isEmpty())
            .map(f -> "; the failover request is still pending")
            .orElse("");
    terminal().out().print(ListCommand.render(state, "pretty", false, false));
    throw new CtlException("After " + bound.toSeconds() + " s the store shows " + shows + pending);
  }

  private boolean done(ClusterView view, String old) {
    return view.leader()
        .map(l -> !l.name().equals(old) && (candidate == null || l.name().equals(candidate)))
        .orElse(false);
  }

  static OffsetDateTime parseSchedule(String value) {
    if (value == null || value.isBlank() || value.equalsIgnoreCase("now")) {
      return null;
    }
    String v = value.trim().replace(' ', 'T');
    try {
      return OffsetDateTime.parse(v);
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(v).atZone(ZoneId.systemDefault()).toOffsetDateTime();
      } catch (DateTimeParseException e2) {
        throw new CtlException(
            "--scheduled " + value + ": not an ISO 8601 timestamp (e.g. 2030-01-01T12:00+00:00)");
      }
    }
  }

  static String stamp() {
    return LocalDateTime.now().format(STAMP);
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** {@code failover}: promote a named candidate, with or without a healthy leader. */
  @Command(name = "failover", description = "Fail over to a replica")
  static class FailoverCommand extends SwitchoverCommand {
    @Override
    boolean failover() {
      return true;
    }
  }
}
