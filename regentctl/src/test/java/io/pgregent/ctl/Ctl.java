package io.pgregent.ctl;

import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Map;

/** Runs regentctl in this JVM with given standard input; captures its output and exit code. */
final class Ctl {

  record Result(int code, String out, String err) {}

  private Ctl() {}

  static Result withInput(String input, String... args) {
    return withEnv(Map.of(), input, args);
  }

  static Result withEnv(Map<String, String> env, String input, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Terminal t =
        new Terminal(
            new BufferedReader(new StringReader(input)),
            new PrintWriter(out),
            new PrintWriter(err),
            env);
    int code = RegentCtl.run(args, t);
    return new Result(code, out.toString(), err.toString());
  }

  static Result run(String... args) {
    return withInput("", args);
  }
}
