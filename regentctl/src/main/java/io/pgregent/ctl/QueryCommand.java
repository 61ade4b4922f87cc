package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code query}: runs SQL on the leader, a member, or a member with a role. */
@Command(name = "query", description = "Run SQL on a member")
class QueryCommand extends CtlCommand {

  @Parameters(arity = "0..1", paramLabel = "CLUSTER_NAME")
  String cluster;

  @Option(names = "--format", defaultValue = "tsv", description = "pretty, tsv, json, yaml")
  String format;

  @Option(
      names = {"-f", "--file"},
      paramLabel = "FILE",
      description = "Run the SQL in this file")
  Path file;

  @Option(
      names = {"-c", "--command"},
      paramLabel = "SQL",
      description = "The SQL to run")
  String command;

  @Option(names = "--password", description = "Ask for the password")
  boolean askPassword;

  @Option(
      names = {"-U", "--username"},
      description = "Database user")
  String username;

  @Option(
      names = {"-d", "--dbname"},
      description = "Database name (default postgres)")
  String dbname;

  @Mixin MemberChoice target;

  @Option(names = "--delimiter", defaultValue = "\t", description = "Column delimiter for tsv")
  String delimiter;

  @Override
  public Integer call() throws Exception {
    if ((file == null) == (command == null)) {
      throw usageError("give exactly one of --command and --file");
    }
    String sql = command != null ? command : Files.readString(file);
    Member m;
    try (Session s = open(cluster)) {
      m = target.pick(s.state());
    }
    URI conn =
        URI.create(m.connUrl().orElseThrow(() -> new CtlException(m.name() + " has no conn_url")));
    String url =
        "jdbc:postgresql://"
            + conn.getHost()
            + (conn.getPort() > 0 ? ":" + conn.getPort() : "")
            + "/"
            + (dbname != null ? dbname : "postgres");
    Properties props = new Properties();
    String user = username != null ? username : terminal().env().getOrDefault("PGUSER", "postgres");
    props.setProperty("user", user);
    String password = terminal().env().get("PGPASSWORD");
    if (askPassword) {
      java.io.Console console = System.console();
      password =
          console != null
              ? new String(console.readPassword("Password: "))
              : terminal().prompt("Password", null);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    props.setProperty("connectTimeout", "5");
    try (Connection c = DriverManager.getConnection(url, props);
        Statement st = c.createStatement()) {
      boolean hasRows = st.execute(sql);
      if (!hasRows) {
        return 0;
      }
      try (ResultSet rs = st.getResultSet()) {
        print(rs);
      }
      return 0;
    } catch (SQLException e) {
      throw new CtlException(m.name() + ": " + e.getMessage());
    }
  }

  private void print(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> cols = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      cols.add(md.getColumnLabel(i));
    }
    List<List<String>> rows = new ArrayList<>();
    while (rs.next()) {
      List<String> r = new ArrayList<>();
      for (int i = 1; i <= cols.size(); i++) {
        r.add(rs.getString(i));
      }
      rows.add(r);
    }
    String fmt = format.toLowerCase(Locale.ROOT);
    String out;
    switch (fmt) {
      case "pretty" -> {
        Table t = new Table(cols.stream().map(Table.Column::left).toList());
        rows.forEach(t::add);
        out = t.pretty(null);
      }
      case "json", "yaml" -> {
        List<Map<String, Object>> records = new ArrayList<>();
        for (List<String> r : rows) {
          Map<String, Object> m = new LinkedHashMap<>();
          for (int i = 0; i < cols.size(); i++) {
            m.put(cols.get(i), r.get(i));
          }
          records.add(m);
        }
        out = fmt.equals("json") ? Formats.json(records) + "\n" : Formats.yaml(records, false);
      }
      default -> {
        StringBuilder b = new StringBuilder(String.join(delimiter, cols)).append('\n');
        for (List<String> r : rows) {
          b.append(String.join(delimiter, r.stream().map(v -> v == null ? "" : v).toList()))
              .append('\n');
        }
        out = b.toString();
      }
    }
    terminal().out().print(out);
    terminal().out().flush();
  }
}
