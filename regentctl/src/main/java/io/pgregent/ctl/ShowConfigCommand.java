package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code show-config}: the dynamic configuration from the store, as YAML. */
@Command(name = "show-config", description = "Show the cluster's dynamic configuration")
class ShowConfigCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Override
  public Integer call() {
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      ClusterConfig config =
          view.config()
              .orElseThrow(
                  () ->
                      new CtlException(
                          "cluster " + s.scope() + " has no configuration in the store"));
      terminal().out().print(Formats.yaml(config.data(), false));
      terminal().out().flush();
      return 0;
    }
  }
}
