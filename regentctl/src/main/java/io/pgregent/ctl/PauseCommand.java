package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pause}: maintenance mode, through {@code PATCH /config {"pause": true}} on a member's REST
 * API (the leader first), as patronictl does.
 */
@Command(name = "pause", description = "Disable automatic failover (maintenance mode)")
class PauseCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(names = "--wait", description = "Wait until every member has applied it")
  boolean await;

  boolean pause() {
    return true;
  }

  @Override
  public Integer call() throws Exception {
    boolean pause = pause();
    try (Session s = open(cluster)) {
      ClusterState state = s.state();
      if (state.paused == pause) {
        throw new CtlException(pause ? "Cluster is already paused" : "Cluster is not paused");
      }
      List<Member> order = new ArrayList<>();
      state.leaderMember().ifPresent(order::add);
      state.rows.stream()
          .map(ClusterState.Row::member)
          .filter(m -> !order.contains(m))
          .forEach(order::add);
      if (order.isEmpty()) {
        throw new CtlException("No members in cluster " + s.scope() + " to send the request to");
      }
      MemberApi api = api();
      String body = pause ? "{\"pause\": true}" : "{\"pause\": null}";
      MemberApi.Response last = null;
      for (Member m : order) {
        if (m.apiUrl().isEmpty()) {
          continue;
        }
        last = api.send(m, "PATCH", "config", body);
        if (last.reached()) {
          break;
        }
      }
      if (last == null || !last.ok()) {
        throw new CtlException(
            "Failed: "
                + (pause ? "pause" : "resume")
                + ": "
                + (last == null ? "no member publishes an api_url" : last.describe()));
      }
      if (await) {
        println(
            "'"
                + (pause ? "pause" : "resume")
                + "' request sent, waiting until it is recognized by all nodes");
        long deadline =
            System.nanoTime()
                + Duration.ofSeconds(Math.max(30, 3L * settings().loopWait())).toNanos();
        while (true) {
          var view = s.read();
          boolean done =
              view.members().values().stream()
                  .allMatch(m -> m.data().path("pause").asBoolean(false) == pause);
          if (done) {
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new CtlException("Not every member applied it yet; the store shows the request");
          }
          Thread.sleep(500);
        }
      }
      println("Success: cluster management is " + (pause ? "paused" : "resumed"));
      return 0;
    }
  }

  /** {@code resume}: {@code PATCH /config {"pause": null}}. */
  @Command(name = "resume", description = "Resume automatic failover")
  static class Resume extends PauseCommand {
    @Override
    boolean pause() {
      return false;
    }
  }
}
