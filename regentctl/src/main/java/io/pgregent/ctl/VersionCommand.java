package io.pgregent.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.core.cluster.Member;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Parameters;

/** {@code version}: regentctl's version, and each member's agent and PostgreSQL versions. */
@Command(name = "version", description = "Show regentctl's version, or the members' versions")
class VersionCommand extends CtlCommand {

  /** The Patroni version whose behaviour Regent implements. */
  static final String PATRONI_VERSION = "4.1.4";

  @Parameters(index = "0", arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER_NAMES")
  List<String> names = new ArrayList<>();

  static String version() {
    try (InputStream in =
        VersionCommand.class.getResourceAsStream("/regentctl-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static String line() {
    return "regentctl version " + version() + " (patronictl " + PATRONI_VERSION + " compatible)";
  }

  @Override
  public Integer call() {
    println(line());
    if (cluster == null) {
      return 0;
    }
    try (Session s = open(cluster)) {
      ClusterState state = s.state();
      MemberApi api = api();
      for (Member m : members(state, names, null, true, "query")) {
        MemberApi.Response r = api.get(m, "patroni");
        if (!r.ok()) {
          println(m.name() + ": failed to get version: " + r.describe());
          continue;
        }
        JsonNode doc = Formats.parseYaml(r.body());
        StringBuilder b = new StringBuilder(m.name()).append(": Patroni ");
        b.append(doc.path("patroni").path("version").asText("?"));
        long v = doc.path("server_version").asLong(0);
        if (v > 0) {
          b.append(" PostgreSQL ").append(v / 10000).append('.').append(v % 100);
        }
        String regent = doc.path("regent_version").asText("");
        if (!regent.isEmpty()) {
          b.append(" (Regent ").append(regent).append(')');
        }
        println(b.toString());
      }
      return 0;
    }
  }

  /** {@code --version}. */
  static final class Provider implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {line()};
    }
  }
}
