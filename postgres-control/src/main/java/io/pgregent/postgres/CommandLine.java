package io.pgregent.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Splits a configured command line into arguments like a POSIX shell (quotes, backslash). */
public final class CommandLine {

  private CommandLine() {}

  public static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
          cur.append(line.charAt(++i));
        } else {
          cur.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == '\\' && i + 1 < line.length()) {
        cur.append(line.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unbalanced quote in command: " + line);
    }
    if (inWord) {
      out.add(cur.toString());
    }
    return out;
  }

  /**
   * Command-line options from a YAML list ({@code bootstrap.initdb}, {@code
   * postgresql.basebackup}): each a flag or a single {@code key: value}.
   */
  static List<String> options(List<Object> opts, String setting) {
    List<String> out = new ArrayList<>();
    for (Object o : opts) {
      if (o instanceof String s) {
        out.add(s.startsWith("-") ? s : "--" + s);
      } else if (o instanceof Map<?, ?> m && m.size() == 1) {
        Map.Entry<?, ?> e = m.entrySet().iterator().next();
        out.add("--" + e.getKey() + "=" + e.getValue());
      } else {
        throw new PostgresSetupException(
            setting + ": option " + o + " must be a string or a single key: value");
      }
    }
    return out;
  }
}
