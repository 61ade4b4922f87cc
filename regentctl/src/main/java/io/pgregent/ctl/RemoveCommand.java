package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.dcs.ClusterKey;
import io.pgregent.core.dcs.Dcs;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code remove}: deletes every key of the cluster from the store, after the operator has typed the
 * cluster name, {@code Yes I am aware}, and — when the leader is running — the leader's name, as
 * patronictl asks. Data directories are not touched.
 */
@Command(name = "remove", description = "Remove a cluster's keys from the store")
class RemoveCommand extends CtlCommand {

  @Parameters(index = "0", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "pretty",
      description = "Format of the member list shown first: pretty, tsv, json, yaml")
  String format;

  @Override
  public Integer call() {
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      ClusterState state = new ClusterState(s.scope(), view);
      terminal().out().print(ListCommand.render(state, format.toLowerCase(), false, false));
      String name = terminal().prompt("Please confirm the cluster name to remove", null);
      if (!name.equals(s.scope())) {
        throw new CtlException("Cluster names specified do not match");
      }
      String aware =
          terminal()
              .prompt(
                  "You are about to remove all information in DCS for "
                      + s.scope()
                      + ", please type: \"Yes I am aware\"",
                  null);
      if (!aware.equals("Yes I am aware")) {
        throw new CtlException("You did not exactly type \"Yes I am aware\"");
      }
      if (state.leaderMember().map(m -> m.state().orElse("").equals("running")).orElse(false)) {
        String leader =
            terminal()
                .prompt(
                    "This cluster currently is healthy. Please specify the leader name to continue",
                    null);
        if (!leader.equals(state.leader)) {
          throw new CtlException("You did not specify the current leader of the cluster");
        }
      }
      Map<ClusterKey, Long> keys = new LinkedHashMap<>();
      view.leader().ifPresent(x -> keys.put(ClusterKey.LEADER, x.version()));
      view.failover().ifPresent(x -> keys.put(ClusterKey.FAILOVER, x.version()));
      view.sync().ifPresent(x -> keys.put(ClusterKey.SYNC, x.version()));
      view.failsafe().ifPresent(x -> keys.put(ClusterKey.FAILSAFE, x.version()));
      view.history().ifPresent(x -> keys.put(ClusterKey.HISTORY, x.version()));
      view.status().ifPresent(x -> keys.put(ClusterKey.STATUS, x.version()));
      view.config().ifPresent(x -> keys.put(ClusterKey.CONFIG, x.version()));
      view.initialize().ifPresent(x -> keys.put(ClusterKey.INITIALIZE, x.version()));
      view.takenTimeline().ifPresent(x -> keys.put(ClusterKey.TAKEN_TIMELINE, x.version()));
      int changed = 0;
      for (Map.Entry<ClusterKey, Long> e : keys.entrySet()) {
        if (e.getValue() > 0 && !s.dcs().compareAndDelete(e.getKey(), e.getValue())) {
          changed++;
        }
      }
      for (String member : view.members().keySet()) {
        try (Dcs as = s.open(member)) {
          as.deleteMember();
        }
      }
      if (changed > 0) {
        throw new CtlException(
            changed + " key(s) changed while removing and were kept: run remove again");
      }
      return 0;
    }
  }
}
