package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;

/** What every command shares: the global options, the terminal, opening the cluster. */
abstract class CtlCommand implements Callable<Integer> {

  private static final List<String> OUTPUT_FORMATS = List.of("pretty", "tsv", "json", "yaml");

  @ParentCommand RegentCtl root;

  Terminal terminal() {
    return root.terminal;
  }

  CtlSettings settings() {
    return root.settings();
  }

  void println(String line) {
    terminal().println(line);
  }

  /** The named cluster, else the configured scope. */
  String scope(String clusterName) {
    if (clusterName != null && !clusterName.isBlank()) {
      return clusterName;
    }
    String scope = settings().scope();
    if (scope == null || scope.isBlank()) {
      throw new CtlException(
          "no cluster name: give CLUSTER_NAME or set scope in " + settings().source());
    }
    return scope;
  }

  Session open(String clusterName) {
    String scope = scope(clusterName);
    return new Session(settings(), scope);
  }

  MemberApi api() {
    return new MemberApi(settings().rest());
  }

  /** Wrong arguments: picocli shows the message with this command's usage (exit code 2). */
  ParameterException usageError(String message) {
    return new ParameterException(new CommandLine(this), message);
  }

  /** {@code --format} of the listing commands, in lower case. */
  String outputFormat(String format) {
    String fmt = format.toLowerCase(Locale.ROOT);
    if (!OUTPUT_FORMATS.contains(fmt)) {
      throw usageError("--format " + format + ": use pretty, tsv, json or yaml");
    }
    return fmt;
  }

  /**
   * Acts on each member in turn, going on after a failure (each action prints its own outcome); the
   * exit code is 1 when any failed.
   */
  static int eachMember(List<Member> members, Predicate<Member> action) {
    int failed = 0;
    for (Member m : members) {
      if (!action.test(m)) {
        failed++;
      }
    }
    return failed == 0 ? 0 : 1;
  }

  /** patronictl's --role values, {@code master} and {@code primary} meaning the leader. */
  static boolean roleMatches(String wanted, ClusterState.Row row) {
    if (wanted == null) {
      return true;
    }
    return switch (wanted.toLowerCase(Locale.ROOT)) {
      case "leader", "primary", "master" -> row.role().equals("leader");
      case "standby-leader" -> row.role().equals("standby_leader");
      case "replica", "standby" -> !row.isLeader();
      case "any" -> true;
      default ->
          throw new CtlException(
              "--role "
                  + wanted
                  + ": use leader, primary, standby-leader, replica, standby or any");
    };
  }

  /** Unless forced: shows the cluster and asks whether to {@code verb} these members. */
  void confirmMembers(ClusterState state, String verb, List<Member> members, boolean force) {
    if (force) {
      return;
    }
    terminal().out().print(ListCommand.render(state, "pretty", false, false));
    terminal()
        .confirmOrAbort(
            "Are you sure you want to "
                + verb
                + " members "
                + String.join(", ", members.stream().map(Member::name).toList())
                + "?");
  }

  /**
   * The members a command acts on: those named (each must exist), else those with the role; when
   * none is named and the command is not forced, asks which (empty for all).
   */
  List<Member> members(
      ClusterState state, List<String> names, String role, boolean force, String action) {
    List<ClusterState.Row> candidates =
        state.rows.stream().filter(r -> roleMatches(role, r)).toList();
    if (candidates.isEmpty()) {
      throw new CtlException("No " + (role == null ? "" : role + " ") + "members found");
    }
    List<String> wanted = new ArrayList<>(names == null ? List.of() : names);
    if (wanted.isEmpty() && !force) {
      String all = String.join(", ", candidates.stream().map(ClusterState.Row::name).toList());
      String answer =
          terminal().prompt("Which member do you want to " + action + " [" + all + "]?", "");
      if (!answer.isBlank()) {
        wanted.add(answer.trim());
      }
    }
    if (wanted.isEmpty()) {
      return candidates.stream().map(ClusterState.Row::member).toList();
    }
    List<Member> out = new ArrayList<>();
    for (String n : wanted) {
      ClusterState.Row r =
          candidates.stream()
              .filter(x -> x.name().equals(n))
              .findFirst()
              .orElseThrow(
                  () ->
                      new CtlException(
                          n
                              + " is not a member of cluster "
                              + state.scope
                              + (role == null ? "" : " with role " + role)));
      out.add(r.member());
    }
    return out;
  }
}
