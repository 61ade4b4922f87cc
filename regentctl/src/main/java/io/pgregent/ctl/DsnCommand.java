package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.net.URI;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code dsn}: a libpq connection string for the leader, a member, or a member with a role. */
@Command(name = "dsn", description = "Print a DSN for a member, the leader by default")
class DsnCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Mixin MemberChoice target;

  @Override
  public Integer call() {
    if (target.role != null && target.member != null) {
      throw usageError("--role and --member exclude each other");
    }
    try (Session s = open(cluster)) {
      println(dsn(target.pick(s.state())));
      return 0;
    }
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
