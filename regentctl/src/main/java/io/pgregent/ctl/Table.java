package io.pgregent.ctl;

import java.util.ArrayList;
import java.util.List;

/**
 * A text table drawn as patronictl draws it (PrettyTable): {@code +---+} rules, {@code | cell |}
 * rows, headers aligned like their column, and an optional title written over the top rule.
 */
final class Table {

  /** A column: header and whether its cells are right-aligned (numbers, LSNs). */
  record Column(String header, boolean right) {
    static Column left(String header) {
      return new Column(header, false);
    }

    static Column right(String header) {
      return new Column(header, true);
    }
  }

  private final List<Column> columns;
  private final List<List<String>> rows = new ArrayList<>();

  Table(List<Column> columns) {
    this.columns = List.copyOf(columns);
  }

  void add(List<String> row) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      String v = i < row.size() ? row.get(i) : null;
      r.add(v == null ? "" : v);
    }
    rows.add(r);
  }

  /**
   * The table; {@code title} (e.g. {@code " Cluster: x (123) "}) replaces the start of the top
   * rule.
   */
  String pretty(String title) {
    int[] width = new int[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      width[i] = columns.get(i).header().length();
      for (List<String> r : rows) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder rule = new StringBuilder("+");
    for (int w : width) {
      rule.append("-".repeat(w + 2)).append('+');
    }
    String hrule = rule.toString();
    String top = hrule;
    if (title != null && !title.isEmpty()) {
      String t =
          title.length() > hrule.length() - 2 ? title.substring(0, hrule.length() - 2) : title;
      top = hrule.charAt(0) + t + hrule.substring(1 + t.length());
    }
    StringBuilder out = new StringBuilder();
    out.append(top).append('\n');
    List<String> headers = columns.stream().map(Column::header).toList();
    line(out, headers, width);
    out.append(hrule).append('\n');
    for (List<String> r : rows) {
      line(out, r, width);
    }
    out.append(hrule).append('\n');
    return out.toString();
  }

  /** Tab-separated: a header line then one line per row. */
  String tsv() {
    StringBuilder out = new StringBuilder();
    out.append(String.join("\t", columns.stream().map(Column::header).toList())).append('\n');
    for (List<String> r : rows) {
      out.append(String.join("\t", r)).append('\n');
    }
    return out.toString();
  }

  private void line(StringBuilder out, List<String> cells, int[] width) {
    out.append('|');
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      String pad = " ".repeat(width[i] - c.length());
      out.append(' ').append(columns.get(i).right() ? pad + c : c + pad).append(" |");
    }
    out.append('\n');
  }
}
