package io.pgregent.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.ClusterCodec;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code demote-cluster} / {@code promote-cluster}: turn a cluster into a standby cluster of a
 * remote primary and back, by setting or removing {@code standby_cluster} with {@code PATCH
 * /config} on the leader, then waiting until the leader runs in the new role (as patronictl 4.1
 * does).
 */
abstract class ClusterRoleCommand extends CtlCommand {

  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(names = "--force", description = "Do not ask for confirmation")
  boolean force;

  /** The {@code standby_cluster} value to write; null for a promotion. */
  abstract ObjectNode standbyConfig();

  @Override
  public Integer call() throws Exception {
    ObjectNode standby = standbyConfig();
    boolean demote = standby != null;
    String action = demote ? "demot" : "promot";
    String target = demote ? "standby_leader" : "primary";
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      Optional<String> leaderName = view.leader().map(l -> l.name());
      Optional<Member> leader = leaderName.flatMap(view::member);
      if (leaderName.isEmpty()) {
        throw new CtlException("Cluster has no leader, " + action + "ion is not possible");
      }
      if (leader.flatMap(m -> m.role()).map(target::equals).orElse(false)) {
        throw new CtlException("Cluster is already in the required state");
      }
      println("Current cluster topology");
      ClusterState state = new ClusterState(s.scope(), view);
      terminal().out().print(ListCommand.render(state, "pretty", false, false));
      if (!force) {
        terminal()
            .confirmOrAbort("Are you sure you want to " + action + "e " + s.scope() + " cluster?");
      }
      if (leader.flatMap(Member::apiUrl).isEmpty()) {
        throw new CtlException(
            "Failed to " + action + "e " + s.scope() + " cluster: the leader has no api_url");
      }
      ObjectNode body = ClusterCodec.nodes().objectNode();
      if (demote) {
        body.set("standby_cluster", standby);
      } else {
        body.putNull("standby_cluster");
      }
      MemberApi.Response r = api().send(leader.get(), "PATCH", "config", body.toString());
      if (!r.ok()) {
        throw new CtlException(
            "Failed to " + action + "e " + s.scope() + " cluster: " + r.describe());
      }
      long deadline =
          System.nanoTime()
              + Duration.ofSeconds(Math.max(120, 10L * settings().loopWait())).toNanos();
      while (true) {
        ClusterView now = s.read();
        Optional<String> holder = now.leader().map(l -> l.name());
        Optional<Member> current = holder.flatMap(now::member);
        String role = current.flatMap(Member::role).orElse(null);
        String st = current.flatMap(Member::state).orElse(null);
        String oldState = now.member(leaderName.get()).flatMap(Member::state).orElse(null);
        if (holder.isPresent()
            && target.equals(role)
            && "running".equals(st)
            && (!demote || "running".equals(oldState))) {
          println(LocalDateTime.now().format(CLOCK) + " cluster is successfully " + action + "ed");
          terminal()
              .out()
              .print(ListCommand.render(new ClusterState(s.scope(), now), "pretty", false, false));
          return 0;
        }
        println(
            LocalDateTime.now().format(CLOCK)
                + " cluster is unlocked: "
                + (holder.isEmpty() ? "True" : "False")
                + ", leader role: "
                + (role == null ? "None" : role)
                + ", leader state: "
                + (st == null ? "None" : st));
        if (System.nanoTime() > deadline) {
          throw new CtlException(
              "The leader did not become " + target + " in time; the configuration is changed");
        }
        Thread.sleep(1000);
      }
    }
  }

  /** {@code demote-cluster}: {@code PATCH /config {"standby_cluster": {...}}}. */
  @Command(name = "demote-cluster", description = "Demote cluster to a standby cluster")
  static class Demote extends ClusterRoleCommand {

    @Option(names = "--host", description = "Address of the remote node")
    String host;

    @Option(names = "--port", description = "Port of the remote node")
    Integer port;

    @Option(
        names = "--restore-command",
        description = "Command to restore WAL records from the remote primary")
    String restoreCommand;

    @Option(
        names = "--primary-slot-name",
        description = "Name of the slot on the remote node to use for replication")
    String primarySlotName;

    @Override
    ObjectNode standbyConfig() {
      boolean any =
          host != null && !host.isEmpty()
              || port != null && port != 0
              || restoreCommand != null && !restoreCommand.isEmpty();
      if (!any) {
        throw new CtlException("At least --host, --port or --restore-command should be specified");
      }
      if (port != null && (port < 1 || port > 65535)) {
        throw new CtlException("--port must be between 1 and 65535, not " + port);
      }
      ObjectNode s = ClusterCodec.nodes().objectNode();
      if (host != null && !host.isEmpty()) {
        s.put("host", host);
      }
      if (port != null) {
        s.put("port", port);
      }
      if (primarySlotName != null && !primarySlotName.isEmpty()) {
        s.put("primary_slot_name", primarySlotName);
      }
      if (restoreCommand != null && !restoreCommand.isEmpty()) {
        s.put("restore_command", restoreCommand);
      }
      return s;
    }
  }

  /** {@code promote-cluster}: {@code PATCH /config {"standby_cluster": null}}. */
  @Command(name = "promote-cluster", description = "Promote cluster, make it run standalone")
  static class Promote extends ClusterRoleCommand {
    @Override
    ObjectNode standbyConfig() {
      return null;
    }
  }
}
