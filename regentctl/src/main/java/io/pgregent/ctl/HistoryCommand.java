package io.pgregent.ctl;

import io.pgregent.core.cluster.TimelineHistory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code history}: the timeline switches recorded in the store. */
@Command(name = "history", description = "Show the history of failovers and switchovers")
class HistoryCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(
      names = {"-f", "--format"},
      defaultValue = "pretty",
      description = "Output format: pretty, tsv, json, yaml")
  String format;

  @Override
  public Integer call() {
    String fmt = outputFormat(format);
    List<TimelineHistory.Entry> entries;
    try (Session s = open(cluster)) {
      entries = s.read().history().map(TimelineHistory::entries).orElse(List.of());
    }
    List<Map<String, Object>> records = new ArrayList<>();
    for (TimelineHistory.Entry e : entries) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("TL", e.timeline());
      r.put("LSN", e.switchLsn());
      r.put("Reason", e.reason());
      r.put("Timestamp", e.timestamp());
      r.put("New Leader", e.newLeader());
      records.add(r);
    }
    String out =
        switch (fmt) {
          case "json" -> Formats.json(records) + "\n";
          case "yaml" -> Formats.yaml(records, true);
          default -> {
            Table t =
                new Table(
                    List.of(
                        Table.Column.right("TL"),
                        Table.Column.right("LSN"),
                        Table.Column.left("Reason"),
                        Table.Column.left("Timestamp"),
                        Table.Column.left("New Leader")));
            for (Map<String, Object> r : records) {
              t.add(r.values().stream().map(v -> v == null ? "" : v.toString()).toList());
            }
            yield fmt.equals("tsv") ? t.tsv() : t.pretty(null);
          }
        };
    terminal().out().print(out);
    terminal().out().flush();
    return 0;
  }
}
