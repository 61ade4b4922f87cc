package io.pgregent.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.config.DynamicConfig;
import io.pgregent.core.dcs.ClusterKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code edit-config}: changes the dynamic configuration in the store with a compare-and-set on the
 * version read, after validating it as the agents' REST API would. Without {@code --set}, {@code
 * --pg}, {@code --apply} or {@code --replace}, opens {@code $EDITOR}.
 */
@Command(name = "edit-config", description = "Edit the cluster's dynamic configuration")
class EditConfigCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(
      names = {"-q", "--quiet"},
      description = "Do not show changes")
  boolean quiet;

  @Option(
      names = {"-s", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Set a value (dotted path, YAML value; empty to remove). Repeatable")
  List<String> sets = new ArrayList<>();

  @Option(
      names = {"-p", "--pg"},
      paramLabel = "NAME=VALUE",
      description = "Set a PostgreSQL parameter (postgresql.parameters.NAME). Repeatable")
  List<String> pgs = new ArrayList<>();

  @Option(
      names = "--apply",
      paramLabel = "FILE",
      description = "Merge the configuration in FILE (- for standard input)")
  String apply;

  @Option(
      names = "--replace",
      paramLabel = "FILE",
      description = "Replace the configuration with FILE (- for standard input)")
  String replace;

  @Option(names = "--force", description = "Do not ask for confirmation")
  boolean force;

  @Override
  public Integer call() throws Exception {
    if (apply != null && replace != null) {
      throw usageError("--apply and --replace exclude each other");
    }
    try (Session s = open(cluster)) {
      ClusterView view = s.read();
      Optional<ClusterConfig> current = view.config();
      ObjectNode before =
          current.map(c -> c.data().deepCopy()).orElse(Formats.JSON.createObjectNode());
      long version = current.map(ClusterConfig::version).orElse(0L);
      String beforeText = Formats.yaml(before, false);

      ObjectNode after;
      if (replace != null) {
        after = object(readSource(replace), replace);
      } else {
        after = before.deepCopy();
        if (apply != null) {
          merge(after, object(readSource(apply), apply));
        }
      }
      for (String kv : sets) {
        set(after, kv, "--set");
      }
      for (String kv : pgs) {
        set(after, "postgresql.parameters." + kv, "--pg");
      }
      if (replace == null && apply == null && sets.isEmpty() && pgs.isEmpty()) {
        after = object(edit(beforeText), "the edited configuration");
      }
      String afterText = Formats.yaml(after, false);
      if (afterText.equals(beforeText)) {
        println("Not changed");
        return 0;
      }
      if (!quiet) {
        terminal().out().print(UnifiedDiff.diff(beforeText, afterText, "", ""));
        terminal().out().flush();
      }
      Optional<String> problem = DynamicConfig.parse(after).firstError();
      if (problem.isPresent()) {
        throw new CtlException(problem.get() + "; nothing written");
      }
      if (!force && !terminal().confirm("Apply these changes?")) {
        throw new CtlException("Aborted");
      }
      String json = Formats.JSON.writeValueAsString(after);
      boolean written =
          s.dcs().compareAndSet(ClusterKey.CONFIG, current.isPresent() ? version : 0, json);
      if (!written) {
        throw new CtlException(
            "The configuration changed in the store while it was edited; nothing written, run the"
                + " command again");
      }
      println("Configuration changed");
      return 0;
    }
  }

  private String readSource(String source) throws IOException {
    if (source.equals("-")) {
      return terminal().readAll();
    }
    Path p = Path.of(source);
    if (!Files.isReadable(p)) {
      throw new CtlException(source + ": cannot read the file");
    }
    return Files.readString(p);
  }

  private static ObjectNode object(String yaml, String source) {
    JsonNode n;
    try {
      n = Formats.parseYaml(yaml);
    } catch (RuntimeException e) {
      throw new CtlException(source + ": not valid YAML: " + RegentCtl.oneLine(e));
    }
    if (n == null || n.isNull()) {
      return Formats.JSON.createObjectNode();
    }
    if (!n.isObject()) {
      throw new CtlException(source + ": the configuration must be a mapping");
    }
    return (ObjectNode) n;
  }

  /** Patroni's merge: maps merged key by key, a null removes the key. */
  static void merge(ObjectNode target, ObjectNode patch) {
    Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      JsonNode existing = target.get(e.getKey());
      if (v.isNull()) {
        target.remove(e.getKey());
      } else if (v.isObject() && existing != null && existing.isObject()) {
        merge((ObjectNode) existing, (ObjectNode) v);
      } else {
        target.set(e.getKey(), v.deepCopy());
      }
    }
  }

  private static void set(ObjectNode config, String kv, String option) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(new EditConfigCommand()),
          option + " " + kv + ": write KEY=VALUE");
    }
    String[] path = kv.substring(0, eq).trim().split("\\.");
    String raw = kv.substring(eq + 1);
    ObjectNode node = config;
    for (int i = 0; i < path.length - 1; i++) {
      JsonNode child = node.get(path[i]);
      if (child == null || !child.isObject()) {
        if (raw.isEmpty()) {
          return;
        }
        child = node.putObject(path[i]);
      }
      node = (ObjectNode) child;
    }
    String key = path[path.length - 1];
    if (raw.isEmpty()) {
      node.remove(key);
      return;
    }
    JsonNode value;
    try {
      value = Formats.parseYaml(raw);
    } catch (RuntimeException e) {
      value = Formats.JSON.getNodeFactory().textNode(raw);
    }
    if (value == null || value.isNull()) {
      node.remove(key);
    } else {
      node.set(key, value);
    }
  }

  private String edit(String text) throws IOException, InterruptedException {
    String editor = terminal().env().getOrDefault("EDITOR", null);
    if (editor == null || editor.isBlank()) {
      editor = terminal().env().getOrDefault("VISUAL", "vi");
    }
    Path tmp = Files.createTempFile("regentctl-config-", ".yaml");
    try {
      Files.writeString(tmp, text);
      List<String> cmd = new ArrayList<>(List.of(editor.trim().split("\\s+")));
      cmd.add(tmp.toString());
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      int code = p.waitFor();
      if (code != 0) {
        throw new CtlException(editor + " exited with " + code + "; nothing written");
      }
      return Files.readString(tmp);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
