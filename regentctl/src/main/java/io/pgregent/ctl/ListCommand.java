package io.pgregent.ctl;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code list}: the members, their roles, states, timelines and lag, from the store. */
@Command(name = "list", description = "List the members of a cluster")
class ListCommand extends CtlCommand {

  @Parameters(arity = "0..*", paramLabel = "CLUSTER_NAMES", description = "Clusters to list")
  List<String> clusters = new ArrayList<>();

  @Option(
      names = {"-e", "--extended"},
      description = "Show pending restart, scheduled restart and tags columns")
  boolean extended;

  @Option(
      names = {"-t", "--timestamp"},
      description = "Print a timestamp")
  boolean timestamp;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "pretty",
      description = "Output format: pretty, tsv, json, yaml")
  String format;

  @Option(names = "-W", description = "Refresh every 2 seconds")
  boolean watchDefault;

  @Option(
      names = {"-w", "--watch"},
      paramLabel = "SECONDS",
      description = "Refresh every SECONDS seconds")
  Double watch;

  boolean topology() {
    return false;
  }

  @Override
  public Integer call() throws Exception {
    String fmt = outputFormat(format);
    Double interval = watch != null ? watch : watchDefault ? Double.valueOf(2) : null;
    if (interval != null && interval <= 0) {
      throw usageError("--watch must be positive");
    }
    List<String> names = clusters.isEmpty() ? List.of(scope(null)) : clusters;
    List<Session> sessions = new ArrayList<>();
    try {
      for (String n : names) {
        sessions.add(open(n));
      }
      while (true) {
        if (interval != null) {
          terminal().out().print("\033[H\033[2J");
        }
        if (timestamp || interval != null) {
          println(OffsetDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")));
        }
        for (Session s : sessions) {
          ClusterState state = s.state();
          terminal().out().print(render(state, fmt, extended, topology()));
          terminal().out().flush();
        }
        if (interval == null) {
          return 0;
        }
        Thread.sleep((long) (interval * 1000));
      }
    } finally {
      sessions.forEach(Session::close);
    }
  }

  /** The table (or records) for one cluster, footers included in pretty format. */
  static String render(ClusterState state, String fmt, boolean extended, boolean topology) {
    List<ClusterState.Row> rows = topology ? topologyOrder(state) : state.rows;
    if (!fmt.equals("pretty")) {
      List<Map<String, Object>> records = new ArrayList<>();
      for (ClusterState.Row r : rows) {
        records.add(state.record(r, extended));
      }
      return switch (fmt) {
        case "json" -> Formats.json(records) + "\n";
        case "yaml" -> Formats.yaml(records, true);
        default -> tsv(records);
      };
    }
    boolean pending = extended || state.rows.stream().anyMatch(ClusterState.Row::pendingRestart);
    boolean reason =
        extended || state.rows.stream().anyMatch(r -> r.pendingRestartReason() != null);
    boolean scheduled = extended || state.rows.stream().anyMatch(r -> r.scheduledRestart() != null);
    boolean tags = extended || state.rows.stream().anyMatch(r -> r.tags() != null);
    List<Table.Column> cols = new ArrayList<>();
    cols.add(Table.Column.left("Member"));
    cols.add(Table.Column.left("Host"));
    cols.add(Table.Column.left("Role"));
    cols.add(Table.Column.left("State"));
    cols.add(Table.Column.right("TL"));
    cols.add(Table.Column.right("Receive LSN"));
    cols.add(Table.Column.right("Lag"));
    cols.add(Table.Column.right("Replay LSN"));
    cols.add(Table.Column.right("Lag"));
    if (pending) {
      cols.add(Table.Column.left("Pending restart"));
    }
    if (reason) {
      cols.add(Table.Column.left("Pending restart reason"));
    }
    if (scheduled) {
      cols.add(Table.Column.left("Scheduled restart"));
    }
    if (tags) {
      cols.add(Table.Column.left("Tags"));
    }
    Table table = new Table(cols);
    Map<String, Integer> depth = topology ? depths(state) : Map.of();
    for (ClusterState.Row r : rows) {
      List<String> cells = new ArrayList<>();
      int d = depth.getOrDefault(r.name(), 0);
      cells.add(d == 0 ? r.name() : "  ".repeat(d - 1) + "+ " + r.name());
      cells.add(state.hostColumn(r));
      cells.add(r.roleTitle());
      cells.add(r.state());
      cells.add(r.timeline() == null ? "" : r.timeline().toString());
      boolean leader = r.isLeader() && r.receiveLsn() == null;
      cells.add(ClusterState.formatLsn(r.receiveLsn()));
      cells.add(leader ? "" : lag(r.receiveLag()));
      cells.add(ClusterState.formatLsn(r.replayLsn()));
      cells.add(leader ? "" : lag(r.replayLag()));
      if (pending) {
        cells.add(r.pendingRestart() ? "*" : "");
      }
      if (reason) {
        String t = r.pendingRestartReason();
        cells.add(t != null && t.length() > 50 ? "" : t);
      }
      if (scheduled) {
        cells.add(r.scheduledRestart());
      }
      if (tags) {
        cells.add(r.tags() == null ? "" : Formats.json(r.tags()));
      }
      table.add(cells);
    }
    StringBuilder out =
        new StringBuilder(
            table.pretty(" Cluster: " + state.scope + " (" + state.initialize() + ") "));
    List<String> info = state.serviceInfo();
    if (!info.isEmpty()) {
      out.append(' ').append(String.join("\n ", info)).append('\n');
    }
    return out.toString();
  }

  private static String lag(Long bytes) {
    Long mb = ClusterState.megabytes(bytes);
    return mb == null ? "unknown" : mb.toString();
  }

  private static String tsv(List<Map<String, Object>> records) {
    List<String> keys = new ArrayList<>();
    for (Map<String, Object> r : records) {
      for (String k : r.keySet()) {
        if (!keys.contains(k)) {
          keys.add(k);
        }
      }
    }
    StringBuilder b = new StringBuilder(String.join("\t", keys)).append('\n');
    for (Map<String, Object> r : records) {
      List<String> cells = new ArrayList<>();
      for (String k : keys) {
        Object v = r.get(k);
        cells.add(
            v == null
                ? ""
                : v instanceof com.fasterxml.jackson.databind.JsonNode
                    ? Formats.json(v)
                    : v.toString());
      }
      b.append(String.join("\t", cells)).append('\n');
    }
    return b.toString();
  }

  /** Leader first, then each member under the one it replicates from (tag replicatefrom). */
  static List<ClusterState.Row> topologyOrder(ClusterState state) {
    Map<String, List<ClusterState.Row>> children = children(state);
    List<ClusterState.Row> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ClusterState.Row root : roots(state)) {
      walk(root, children, out, seen);
    }
    for (ClusterState.Row r : state.rows) {
      if (seen.add(r.name())) {
        out.add(r);
      }
    }
    return out;
  }

  private static Map<String, Integer> depths(ClusterState state) {
    Map<String, List<ClusterState.Row>> children = children(state);
    Map<String, Integer> depth = new LinkedHashMap<>();
    for (ClusterState.Row root : roots(state)) {
      mark(root, 0, children, depth);
    }
    return depth;
  }

  private static void mark(
      ClusterState.Row r,
      int d,
      Map<String, List<ClusterState.Row>> children,
      Map<String, Integer> depth) {
    if (depth.putIfAbsent(r.name(), d) != null) {
      return;
    }
    for (ClusterState.Row c : children.getOrDefault(r.name(), List.of())) {
      mark(c, d + 1, children, depth);
    }
  }

  private static void walk(
      ClusterState.Row r,
      Map<String, List<ClusterState.Row>> children,
      List<ClusterState.Row> out,
      Set<String> seen) {
    if (!seen.add(r.name())) {
      return;
    }
    out.add(r);
    for (ClusterState.Row c : children.getOrDefault(r.name(), List.of())) {
      walk(c, children, out, seen);
    }
  }

  private static List<ClusterState.Row> roots(ClusterState state) {
    List<ClusterState.Row> roots = new ArrayList<>();
    state.rows.stream().filter(ClusterState.Row::isLeader).forEach(roots::add);
    if (roots.isEmpty()) {
      state.rows.stream().filter(r -> upstream(state, r) == null).forEach(roots::add);
    }
    return roots;
  }

  /**
   * The member a row replicates from: its replicatefrom tag when that member exists, else the
   * leader.
   */
  private static String upstream(ClusterState state, ClusterState.Row r) {
    if (r.isLeader()) {
      return null;
    }
    String from = r.tags() == null ? null : r.tags().path("replicatefrom").asText(null);
    if (from != null && state.row(from).isPresent() && !from.equals(r.name())) {
      return from;
    }
    return state.leader;
  }

  private static Map<String, List<ClusterState.Row>> children(ClusterState state) {
    Map<String, List<ClusterState.Row>> children = new LinkedHashMap<>();
    for (ClusterState.Row r : state.rows) {
      String up = upstream(state, r);
      if (up != null) {
        children.computeIfAbsent(up, k -> new ArrayList<>()).add(r);
      }
    }
    return children;
  }

  /** {@code topology}: the list as a tree, each replica under the member it streams from. */
  @Command(name = "topology", description = "Print the cluster as a replication tree")
  static class Topology extends ListCommand {
    @Override
    boolean topology() {
      return true;
    }
  }
}
