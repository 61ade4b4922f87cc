package io.pgregent.agent.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Renders a {@code GET /cluster} document as {@code patronictl list} (Patroni 4.1) prints it: the
 * cluster and its system identifier in the top border, one row per member sorted by name, lag in
 * MB, the leader's LSN and lag cells empty, and the maintenance-mode footer when paused.
 */
public final class ClusterTable {

  static final List<String> HEADER =
      List.of("Member", "Host", "Role", "State", "TL", "Receive LSN", "Lag", "Replay LSN", "Lag");

  /** Columns 4 and up (TL, LSNs, lags) are right-aligned, the others left-aligned. */
  private static final int FIRST_RIGHT_ALIGNED = 4;

  private ClusterTable() {}

  /**
   * @param scope the cluster's name
   * @param systemId the value of the {@code initialize} key: the system identifier, {@code null}
   *     when there is none yet
   * @param cluster the body of {@code GET /cluster}
   */
  public static String render(String scope, String systemId, JsonNode cluster) {
    List<JsonNode> members = new ArrayList<>();
    cluster.path("members").forEach(members::add);
    members.sort(Comparator.comparing(m -> m.path("name").asText()));
    boolean withPort = needsPort(members);

    List<List<String>> rows = new ArrayList<>();
    for (JsonNode m : members) {
      boolean leader = m.path("role").asText().endsWith("leader");
      String host = m.path("host").asText("");
      if (withPort && m.has("port")) {
        host = host + ":" + m.path("port").asInt();
      }
      rows.add(
          List.of(
              m.path("name").asText(),
              host,
              roleTitle(m.path("role").asText()),
              m.path("state").asText(""),
              m.has("timeline") ? m.path("timeline").asText() : "",
              leader ? "" : m.path("receive_lsn").asText(""),
              leader ? "" : lagInMb(m.get("receive_lag")),
              leader ? "" : m.path("replay_lsn").asText(""),
              leader ? "" : lagInMb(m.get("replay_lag"))));
    }

    int[] widths = new int[HEADER.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = HEADER.get(i).length();
      for (List<String> row : rows) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    String border = border(widths);
    String title =
        " Cluster: " + scope + " (" + (systemId == null ? "uninitialized" : systemId) + ") ";
    String top =
        title.length() + 1 < border.length()
            ? "+" + title + border.substring(1 + title.length())
            : "+" + title + "+";

    StringBuilder out = new StringBuilder();
    out.append(top).append('\n');
    out.append(line(HEADER, widths, true)).append('\n');
    out.append(border).append('\n');
    for (List<String> row : rows) {
      out.append(line(row, widths, false)).append('\n');
    }
    out.append(border).append('\n');
    if (cluster.path("pause").asBoolean(false)) {
      out.append(" Maintenance mode: on\n");
    }
    return out.toString();
  }

  /** Patroni shows {@code host:port} when any port is not 5432 or a host repeats. */
  private static boolean needsPort(List<JsonNode> members) {
    Set<String> hosts = new HashSet<>();
    for (JsonNode m : members) {
      if (m.has("port") && m.path("port").asInt() != 5432) {
        return true;
      }
      if (!hosts.add(m.path("host").asText(""))) {
        return true;
      }
    }
    return false;
  }

  static String roleTitle(String role) {
    StringBuilder b = new StringBuilder();
    for (String word : role.split("_")) {
      if (word.isEmpty()) {
        continue;
      }
      if (!b.isEmpty()) {
        b.append(' ');
      }
      b.append(word.substring(0, 1).toUpperCase(Locale.ROOT)).append(word.substring(1));
    }
    return b.toString();
  }

  private static String lagInMb(JsonNode lag) {
    if (lag == null || lag.isNull()) {
      return "";
    }
    if (!lag.isNumber()) {
      return lag.asText();
    }
    return Long.toString(Math.round(lag.asDouble() / (1024 * 1024)));
  }

  private static String border(int[] widths) {
    StringBuilder b = new StringBuilder("+");
    for (int w : widths) {
      b.append("-".repeat(w + 2)).append('+');
    }
    return b.toString();
  }

  private static String line(List<String> cells, int[] widths, boolean header) {
    StringBuilder b = new StringBuilder("|");
    for (int i = 0; i < widths.length; i++) {
      String cell = cells.get(i);
      String pad = " ".repeat(widths[i] - cell.length());
      boolean right = !header && i >= FIRST_RIGHT_ALIGNED;
      b.append(' ').append(right ? pad + cell : cell + pad).append(" |");
    }
    return b.toString();
  }
}
