package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.cluster.SwitchoverProgress;
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
import java.util.concurrent.CompletableFuture;
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
      throw usageError("a failover cannot be scheduled: use switchover");
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
          String example = exampleTime();
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

      Map<String, Object> body = request("candidate", at);
      int loopWait = view.config().map(ClusterConfig::loopWait).orElse(settings().loopWait());
      Duration bound = Duration.ofSeconds(2L * Math.max(10, loopWait));
      Optional<Member> target =
          current != null
              ? state.leaderMember()
              : state.row(candidate).map(ClusterState.Row::member);
      if (at != null) {
        MemberApi.Response r = post(target, action, body, bound);
        if (r.status() == 202) {
          println(stamp() + " " + r.body().strip());
          return 0;
        }
        if (r.reached()) {
          throw new CtlException(
              capitalize(action) + " failed, details: " + r.status() + ", " + r.body().strip());
        }
        writeFailoverKey(s, view, at, r);
        println(stamp() + " " + capitalize(action) + " scheduled");
        return 0;
      }
      SwitchoverProgress progress = new SwitchoverProgress(action, view, candidate);
      CompletableFuture<MemberApi.Response> answer =
          CompletableFuture.supplyAsync(() -> post(target, action, body, bound));
      return follow(s, progress, current, answer, bound, view);
    }
  }

  /**
   * The leader, candidate and time given, as the REST API's body or the failover key carries them
   * (they name the candidate differently).
   */
  private Map<String, Object> request(String candidateKey, OffsetDateTime at) {
    Map<String, Object> request = new LinkedHashMap<>();
    if (leader != null) {
      request.put("leader", leader);
    }
    if (candidate != null) {
      request.put(candidateKey, candidate);
    }
    if (at != null) {
      request.put("scheduled_at", at.toString());
    }
    return request;
  }

  private MemberApi.Response post(
      Optional<Member> target, String action, Map<String, Object> body, Duration bound) {
    return target.isPresent() && target.get().apiUrl().isPresent()
        ? api().call(target.get(), "POST", action, Formats.json(body), bound.plusSeconds(15))
        : new MemberApi.Response(-1, "no REST API published");
  }

  private void writeFailoverKey(
      Session s, ClusterView view, OffsetDateTime at, MemberApi.Response r) {
    println(
        "Could not reach the "
            + (view.leader().isPresent() ? "leader" : "candidate")
            + "'s REST API ("
            + r.body()
            + "); writing the failover key in the store");
    Map<String, Object> key = request("member", at);
    long version = view.failover().map(Failover::version).orElse(ClusterStore.CREATE_ONLY);
    if (!s.dcs().compareAndSet(ClusterKey.FAILOVER, version, Formats.json(key))) {
      throw new CtlException(
          "The failover key changed in the store meanwhile; nothing written, run the command"
              + " again");
    }
  }

  /**
   * Prints each step as the store shows it while the REST call runs, then follows the store until a
   * new leader holds the lock (within Patroni's bound) and, for one more such bound, until the old
   * leader rejoins; ends with the outcome the store shows, naming any pending step and why.
   */
  private int follow(
      Session s,
      SwitchoverProgress progress,
      String old,
      CompletableFuture<MemberApi.Response> answer,
      Duration bound,
      ClusterView before)
      throws InterruptedException {
    String action = failover() ? "failover" : "switchover";
    long started = System.nanoTime();
    long deadline = started + bound.toNanos();
    boolean answered = false;
    boolean announced = false;
    ClusterView view = before;
    while (true) {
      long since = s.dcs().changeCount();
      view = s.read();
      for (SwitchoverProgress.Update u : progress.observe(view)) {
        println(stamp() + " " + u.step().label() + ": " + u.message());
      }
      if (!answered && answer.isDone()) {
        answered = true;
        MemberApi.Response r = answer.join();
        if (r.ok()) {
          println(stamp() + " " + r.body().strip());
        } else if (r.reached() && r.status() != 503) {
          // Refused before anything changed (4xx): nothing to wait for.
          throw new CtlException(
              capitalize(action) + " failed, details: " + r.status() + ", " + r.body().strip());
        } else if (r.reached()) {
          println(
              stamp()
                  + " "
                  + capitalize(action)
                  + " reply: "
                  + r.status()
                  + ", "
                  + r.body().strip());
        } else {
          writeFailoverKey(s, view, null, r);
        }
      }
      Optional<SwitchoverProgress.Outcome> settled = progress.settled(view);
      if (settled.isPresent() && answered) {
        return report(s, view, settled.get());
      }
      if (answered && !announced) {
        announced = true;
        println("Waiting up to " + bound.toSeconds() + " s for the store to show the new leader");
      }
      long now = System.nanoTime();
      if (now > deadline && answered) {
        if (done(view, old) && deadline - started == bound.toNanos()) {
          // the new leader is there: one more bound for the old leader to rejoin
          deadline = now + bound.toNanos();
        } else {
          long seconds = Duration.ofNanos(now - started).toSeconds();
          return report(s, view, progress.timedOut(view, seconds));
        }
      }
      // The store's watch wakes us when a key changes; re-read at least every second.
      s.dcs().awaitChange(since, Duration.ofSeconds(1));
    }
  }

  private int report(Session s, ClusterView view, SwitchoverProgress.Outcome o) {
    ClusterState state = new ClusterState(s.scope(), view);
    terminal().out().print(ListCommand.render(state, "pretty", false, false));
    terminal().out().flush();
    if (o.result() == SwitchoverProgress.Result.SUCCESS) {
      println(stamp() + " " + o.message());
      return 0;
    }
    throw new CtlException(o.message());
  }

  private boolean done(ClusterView view, String old) {
    return view.leader()
        .map(l -> !l.name().equals(old) && (candidate == null || l.name().equals(candidate)))
        .orElse(false);
  }

  /** An hour from now, to the minute, as a schedule prompt shows it. */
  static String exampleTime() {
    return OffsetDateTime.now()
        .plusHours(1)
        .truncatedTo(ChronoUnit.MINUTES)
        .toLocalDateTime()
        .toString();
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
