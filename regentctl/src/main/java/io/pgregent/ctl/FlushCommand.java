package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code flush}: discards scheduled restarts ({@code DELETE /restart} per member) or a scheduled
 * switchover ({@code DELETE /switchover} on the leader, else clearing the failover key with a
 * compare-and-set).
 */
@Command(name = "flush", description = "Discard scheduled events: restart or switchover")
class FlushCommand extends MemberActionCommand.OnMembers {

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "[MEMBER_NAMES...] restart|switchover")
  List<String> rest = new ArrayList<>();

  @Override
  public Integer call() {
    String target = rest.get(rest.size() - 1);
    List<String> names = rest.subList(0, rest.size() - 1);
    if (!target.equals("restart") && !target.equals("switchover")) {
      throw usageError("the last argument must be restart or switchover");
    }
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      ClusterState state = new ClusterState(s.scope(), view);
      MemberApi api = api();
      if (target.equals("restart")) {
        List<Member> scheduled =
            members(state, names, role, true, "flush").stream()
                .filter(m -> !m.data().path("scheduled_restart").isMissingNode())
                .toList();
        return eachMember(
            scheduled,
            m -> {
              if (!force
                  && !terminal()
                      .confirm(
                          "Are you sure you want to cancel the scheduled restart of "
                              + m.name()
                              + "?")) {
                return true;
              }
              MemberApi.Response r = api.send(m, "DELETE", "restart", null);
              if (!r.ok()) {
                println(
                    "Failed: flush scheduled restart for member " + m.name() + ", " + r.describe());
                return false;
              }
              println("Success: flush scheduled restart for member " + m.name());
              return true;
            });
      }
      Failover f = view.failover().filter(x -> !x.isEmpty()).orElse(null);
      if (f == null || f.scheduledAt() == null) {
        println("No pending scheduled switchover");
        return 0;
      }
      if (!force) {
        terminal().confirmOrAbort("Are you sure you want to cancel the scheduled switchover?");
      }
      MemberApi.Response r =
          state
              .leaderMember()
              .filter(m -> m.apiUrl().isPresent())
              .map(m -> api.send(m, "DELETE", "switchover", null))
              .orElse(new MemberApi.Response(-1, "no leader"));
      if (r.ok()) {
        println("Success: " + r.body().strip());
        return 0;
      }
      // The leader's REST API did not do it: clear the key ourselves, as patronictl does.
      if (!s.dcs().compareAndSet(ClusterKey.FAILOVER, f.version(), "{}")) {
        throw new CtlException("The failover key changed meanwhile; nothing written");
      }
      println("Success: scheduled switchover deleted");
      return 0;
    }
  }
}
