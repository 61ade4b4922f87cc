package io.pgregent.ctl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;

/** Where a command reads answers and writes output; a parameter so that tests drive it. */
final class Terminal {

  private final BufferedReader in;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, String> env;

  Terminal(BufferedReader in, PrintWriter out, PrintWriter err, Map<String, String> env) {
    this.in = in;
    this.out = out;
    this.err = err;
    this.env = Map.copyOf(env);
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  Map<String, String> env() {
    return env;
  }

  void println(String line) {
    out.println(line);
    out.flush();
  }

  /**
   * Asks a question; an empty answer takes the default.
   *
   * @throws CtlException when the input ends (no terminal, nothing piped) before an answer
   */
  String prompt(String question, String defaultValue) {
    String shown = defaultValue == null ? question + ": " : question + " [" + defaultValue + "]: ";
    out.print(shown);
    out.flush();
    String line;
    try {
      line = in.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (line == null) {
      out.println();
      out.flush();
      throw new CtlException(
          "Aborted: no answer on standard input (use --force to skip questions)");
    }
    line = line.trim();
    return line.isEmpty() && defaultValue != null ? defaultValue : line;
  }

  /** The rest of standard input. */
  String readAll() {
    StringBuilder b = new StringBuilder();
    try {
      String line;
      while ((line = in.readLine()) != null) {
        b.append(line).append('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toString();
  }

  /** A y/N question: anything but y or yes is no. */
  boolean confirm(String question) {
    String answer = prompt(question + " [y/N]", "").toLowerCase(Locale.ROOT);
    return answer.equals("y") || answer.equals("yes");
  }

  /** Confirms or stops with "Aborted". */
  void confirmOrAbort(String question) {
    if (!confirm(question)) {
      throw new CtlException("Aborted");
    }
  }
}
