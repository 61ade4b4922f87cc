package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.net.URI;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dsn}: a libpq connection string for the leader, a member, or a member with a role. */
@Command(name = "dsn", description = "Print a DSN for a member, the leader by default")
class DsnCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(
      names = {"-r", "--role"},
      description = "A member with this role: leader, primary, standby-leader, replica, any")
  String role;

  @Option(
      names = {"-m", "--member"},
      description = "This member")
  String member;

  @Override
  public Integer call() {
    if (role != null && member != null) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--role and --member exclude each other");
    }
    try (Session s = open(cluster)) {
      ClusterState state = new ClusterState(s.scope(), s.read());
      Member m = pick(state, role, member);
      println(dsn(m));
      return 0;
    }
  }

  /** The member a command connects to: named, else the first with the role, else the leader. */
  static Member pick(ClusterState state, String role, String member) {
    if (member != null) {
      return state
          .row(member)
          .map(ClusterState.Row::member)
          .orElseThrow(
              () -> new CtlException(member + " is not a member of cluster " + state.scope));
    }
    String wanted = role == null ? "leader" : role;
    Optional<ClusterState.Row> r =
        state.rows.stream().filter(x -> roleMatches(wanted, x)).findFirst();
    return r.map(ClusterState.Row::member)
        .orElseThrow(() -> new CtlException("No " + wanted + " found in cluster " + state.scope));
  }

  static String dsn(Member m) {
    String conn =
        m.connUrl()
            .orElseThrow(() -> new CtlException("member " + m.name() + " publishes no conn_url"));
    URI u = URI.create(conn);
    StringBuilder b = new StringBuilder("host=").append(u.getHost());
    if (u.getPort() > 0) {
      b.append(" port=").append(u.getPort());
    }
    return b.toString();
  }
}
