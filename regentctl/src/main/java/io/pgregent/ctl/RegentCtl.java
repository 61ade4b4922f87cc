package io.pgregent.ctl;

import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsUnreachableException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * regentctl: patronictl's commands for a Regent (or Patroni) cluster. Reads the cluster from the
 * store and calls the members' REST API. Exit codes: 0 done, 1 failed or refused, 2 wrong
 * arguments.
 */
@Command(
    name = "regentctl",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Manage a Regent (or Patroni) PostgreSQL cluster.",
    subcommands = {
      ListCommand.class,
      ListCommand.Topology.class,
      SwitchoverCommand.class,
      SwitchoverCommand.FailoverCommand.class,
      MemberActionCommand.Restart.class,
      MemberActionCommand.Reload.class,
      MemberActionCommand.Reinit.class,
      PauseCommand.class,
      PauseCommand.Resume.class,
      ClusterRoleCommand.Demote.class,
      ClusterRoleCommand.Promote.class,
      EditConfigCommand.class,
      ShowConfigCommand.class,
      HistoryCommand.class,
      DsnCommand.class,
      QueryCommand.class,
      RemoveCommand.class,
      FlushCommand.class,
      VersionCommand.class
    })
public final class RegentCtl implements Runnable {

  @Option(
      names = {"-c", "--config-file"},
      paramLabel = "FILE",
      description =
          "Configuration file or directory (the agent's YAML); default $PATRONICTL_CONFIG_FILE,"
              + " then ~/.config/patroni/patronictl.yaml")
  Path configFile;

  @Option(
      names = {"-d", "--dcs-url", "--dcs"},
      paramLabel = "URL",
      description = "The store: DCS://HOST:PORT[/NAMESPACE], e.g. etcd3://127.0.0.1:2379")
  String dcsUrl;

  @Option(
      names = {"-k", "--insecure"},
      description = "Allow connections to REST APIs whose certificate cannot be verified")
  boolean insecure;

  final Terminal terminal;
  private CtlSettings settings;

  RegentCtl(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        new CommandLine(this), "Missing a command (see regentctl --help)");
  }

  CtlSettings settings() {
    if (settings == null) {
      settings = CtlSettings.load(configFile, dcsUrl, insecure, terminal.env());
    }
    return settings;
  }

  /** Runs one command line; returns the exit code. */
  static int run(String[] args, Terminal terminal) {
    CommandLine cl = new CommandLine(new RegentCtl(terminal));
    cl.setOut(terminal.out());
    cl.setErr(terminal.err());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          terminal.out().flush();
          terminal.err().println("regentctl: " + oneLine(e));
          terminal.err().flush();
          return 1;
        });
    int code = cl.execute(args);
    terminal.out().flush();
    terminal.err().flush();
    return code;
  }

  /** The message a user needs, on one line: ours as written, others with their type. */
  static String oneLine(Throwable e) {
    String m;
    if (e instanceof DcsUnreachableException u && u.getMessage() != null) {
      String msg = u.getMessage();
      String prefix = u.endpoint() + ": ";
      if (msg.startsWith(prefix)) {
        msg = msg.substring(prefix.length());
      }
      m =
          msg.contains("unreachable: ")
              ? msg.replaceFirst(
                  "unreachable: ",
                  "unreachable at " + java.util.regex.Matcher.quoteReplacement(u.endpoint()) + ": ")
              : "store unreachable at " + u.endpoint() + ": " + msg;
    } else if (e instanceof CtlException || e instanceof DcsException) {
      m = e.getMessage();
    } else {
      m = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    return m == null ? e.toString() : m.replaceAll("\\s*\\R\\s*", " ");
  }

  public static void main(String[] args) {
    // Client libraries log through java.util.logging (gRPC) and SLF4J (simplelogger.properties:
    // errors only); a command's output is its own.
    java.util.logging.LogManager.getLogManager().reset();
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    int code = run(args, new Terminal(in, out, err, System.getenv()));
    System.exit(code);
  }
}
