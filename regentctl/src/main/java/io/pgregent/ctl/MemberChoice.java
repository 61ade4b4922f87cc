package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import picocli.CommandLine.Option;

/** {@code --role} and {@code --member}: the one member a command connects to. */
final class MemberChoice {

  @Option(
      names = {"-r", "--role"},
      description = "A member with this role: leader, primary, standby-leader, replica, any")
  String role;

  @Option(
      names = {"-m", "--member"},
      description = "This member")
  String member;

  /** The member named, else the first with the role, else the leader. */
  Member pick(ClusterState state) {
    if (member != null) {
      return state
          .row(member)
          .map(ClusterState.Row::member)
          .orElseThrow(
              () -> new CtlException(member + " is not a member of cluster " + state.scope));
    }
    String wanted = role == null ? "leader" : role;
    return state.rows.stream()
        .filter(x -> CtlCommand.roleMatches(wanted, x))
        .findFirst()
        .map(ClusterState.Row::member)
        .orElseThrow(() -> new CtlException("No " + wanted + " found in cluster " + state.scope));
  }
}
