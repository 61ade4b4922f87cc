package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Failover;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterKey;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code flush}: discards scheduled restarts ({@code DELETE /restart} per member) or a scheduled
 * switchover ({@code DELETE /switchover} on the leader, else clearing the failover key with a
 * compare-and-set).
 */
@Command(name = "flush", description = "Discard scheduled events: restart or switchover")
class FlushCommand extends CtlCommand {

  @Parameters(index = "0", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "[MEMBER_NAMES...] restart|switchover")
  List<String> rest = new ArrayList<>();

  @Option(
      names = {"-r", "--role"},
      description = "Only members with this role: leader, primary, standby-leader, replica, any")
  String role;

  @Option(names = "--force", description = "Do not ask for confirmation")
  boolean force;

  @Override
  public Integer call() {
    String target = rest.get(rest.size() - 1);
    List<String> names = rest.subList(0, rest.size() - 1);
    if (!target.equals("restart") && !target.equals("switchover")) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "the last argument must be restart or switchover");
    }
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      ClusterState state = new ClusterState(s.scope(), view);
      MemberApi api = api();
      if (target.equals("restart")) {
        int failed = 0;
        for (Member m : members(state, names, role, true, "flush")) {
          if (m.data().path("scheduled_restart").isMissingNode()) {
            continue;
          }
          if (!force
              && !terminal()
                  .confirm(
                      "Are you sure you want to cancel the scheduled restart of "
                          + m.name()
                          + "?")) {
            continue;
          }
          MemberApi.Response r = api.send(m, "DELETE", "restart", null);
          if (r.ok()) {
            println("Success: flush scheduled restart for member " + m.name());
          } else {
            println("Failed: flush scheduled restart for member " + m.name() + ", " + r.describe());
            failed++;
          }
        }
        return failed == 0 ? 0 : 1;
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
