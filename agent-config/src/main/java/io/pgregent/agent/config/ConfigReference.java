package io.pgregent.agent.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code docs/configuration.md}: every key of the configuration table, its type, and whether Regent
 * acts on it, rendered from {@link ConfigKeys} so that the reference cannot drift from the loader
 * (a test compares the file with {@link #markdown()}).
 */
public final class ConfigReference {

  private ConfigReference() {}

  /** The reference as Markdown. */
  public static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration reference\n\n");
    out.append(
        """
        Regent reads Patroni's YAML (keys at the root); this table lists every key it knows, generated
        from the configuration loader's table (`ConfigKeys`). A key not listed is unknown: the agent
        warns and ignores it. *Not used* keys are Patroni keys Regent accepts with a warning and
        ignores; *dynamic* keys belong in `bootstrap.dcs` (the store's `/config`) and are ignored at
        the top level. `*` stands for any one key. The `PATRONI_*` environment variables that set
        these keys are listed in the README ("Environment variables").

        Regenerate after changing the table:
        `./mvnw -B -pl agent-config -am test -Dtest=ConfigReferenceTests -Dregent.docs.write=true -Dsurefire.failIfNoSpecifiedTests=false`

        """);
    out.append("Stores this build supports: ")
        .append(String.join(", ", quoted(ConfigKeys.SUPPORTED_STORES)))
        .append(" (the section of another store is an error).\n");
    // Grouped by section, in the order sections first appear in the table.
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigKeys.Spec> e : ConfigKeys.all().entrySet()) {
      String key = e.getKey();
      ConfigKeys.Spec spec = e.getValue();
      if (spec.status() == ConfigKeys.Status.DYNAMIC_AT_ROOT) {
        continue;
      }
      boolean rootScalar =
          !key.contains(".")
              && spec.kind() != ConfigKeys.Kind.SECTION
              && ConfigKeys.all().keySet().stream().noneMatch(k -> k.startsWith(key + "."));
      String group =
          key.startsWith("bootstrap.dcs")
              ? "`bootstrap.dcs`"
              : rootScalar
                  ? "Top level"
                  : "`" + (key.contains(".") ? key.substring(0, key.indexOf('.')) : key) + "`";
      groups
          .computeIfAbsent(group, g -> new ArrayList<>())
          .add("| `" + key + "` | " + type(spec) + " | " + status(spec) + " |");
    }
    groups.forEach(
        (group, rows) -> {
          out.append("\n## ").append(group).append("\n\n");
          out.append("| Key | Value | Regent |\n|---|---|---|\n");
          rows.forEach(r -> out.append(r).append('\n'));
        });
    return out.toString();
  }

  private static String type(ConfigKeys.Spec spec) {
    return switch (spec.kind()) {
      case STRING -> "string";
      case INT -> range(spec);
      case BOOL -> "boolean";
      case CONNECT_ADDRESS -> "`host:port` (a reachable host)";
      case LISTEN -> "`host[,host…]:port`";
      case STRING_LIST -> "list of strings";
      case HOSTS -> "list of `host:port`, or one comma-separated string";
      case OPTIONS -> "list of options (`- name` or `- name: value`)";
      case OPTIONS_OR_MAP -> "list of options, or a map";
      case MAP -> "map";
      case SECTION -> "section";
      case ANY -> "any";
      case INT_OR_STRING -> "integer or string (e.g. `30min`)";
      case ENUM -> "one of " + String.join(", ", quoted(spec.values()));
      case SYNC_MODE -> "boolean, `on`, `off` or `quorum`";
      case GUARD_MODE -> "`off`, `automatic` or `required`";
    };
  }

  private static List<String> quoted(List<String> values) {
    List<String> out = new ArrayList<>();
    values.forEach(v -> out.add("`" + v + "`"));
    return out;
  }

  private static String range(ConfigKeys.Spec spec) {
    if (spec.min() == Long.MIN_VALUE && spec.max() == Long.MAX_VALUE) {
      return "integer";
    }
    if (spec.max() == Long.MAX_VALUE) {
      return "integer ≥ " + spec.min();
    }
    return "integer " + spec.min() + "–" + spec.max();
  }

  private static String status(ConfigKeys.Spec spec) {
    String note = spec.note() == null ? "" : ": " + spec.note().replace("|", "\\|");
    return switch (spec.status()) {
      case SUPPORTED -> "used";
      case UNSUPPORTED -> "not used" + note;
      case DEPRECATED -> "deprecated" + note;
      case DYNAMIC_AT_ROOT -> "dynamic" + note;
    };
  }
}
