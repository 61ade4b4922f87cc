package io.pgregent.agent;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigProblem;
import io.pgregent.agent.config.LoadedConfig;
import io.pgregent.agent.config.LogSettings;
import io.pgregent.agent.demo.DemoCommand;
import io.pgregent.agent.logging.PatroniLogging;
import io.pgregent.agent.loop.UniqueNameCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/regent}: starts the agent from Patroni's YAML, validates a configuration, or prints
 * the version.
 *
 * <pre>
 * regent FILE|DIR                    start the agent
 * regent                             start from PATRONI_CONFIGURATION or PATRONI_* variables
 * regent --validate-config FILE|DIR  print every problem; exit 1 if any is an error
 * regent --version                   Regent's version and the Patroni version it implements
 * regent demo                        a three-member cluster on this machine (ZooKeeper embedded)
 * </pre>
 */
public final class RegentMain {

  /** The Patroni version whose behaviour Regent implements (published as {@code version}). */
  public static final String PATRONI_VERSION = "4.1.4";

  /** Exit code of a usage error, and of a command that is not available. */
  public static final int EXIT_USAGE = 2;

  private static final Logger log = LoggerFactory.getLogger(RegentMain.class);

  private static final String USAGE =
      """
      Usage: regent FILE|DIR                    start the agent with a Patroni configuration
             regent                             start from PATRONI_CONFIGURATION or PATRONI_* variables
             regent --validate-config FILE|DIR  check a configuration: print every problem
             regent --version                   print the version
             regent demo                        start a local demo cluster""";

  private final Map<String, String> environment;
  private final PrintStream out;
  private final PrintStream err;
  private final Starter starter;
  private final Consumer<LogSettings> logging;

  /** Starts the agent. */
  @FunctionalInterface
  public interface Starter {
    /**
     * @param config the valid configuration
     * @param source the file or directory it was read from, null when from the environment only
     * @param args the remaining arguments
     */
    void start(AgentConfig config, Path source, String[] args);
  }

  /**
   * @param environment the process environment
   * @param out standard output
   * @param err standard error
   * @param starter starts the agent with a valid configuration and the remaining arguments
   */
  public RegentMain(
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      BiConsumer<AgentConfig, String[]> starter) {
    this(environment, out, err, (c, p, a) -> starter.accept(c, a), s -> {});
  }

  /**
   * @param logging sets up logging from the {@code log:} section before the agent starts; throws
   *     {@link IllegalStateException} with a one-line message when it cannot
   */
  public RegentMain(
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      BiConsumer<AgentConfig, String[]> starter,
      Consumer<LogSettings> logging) {
    this(environment, out, err, (c, p, a) -> starter.accept(c, a), logging);
  }

  /**
   * @param starter starts the agent, told where its configuration came from (for reloads)
   * @param logging sets up logging from the {@code log:} section
   */
  public RegentMain(
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      Starter starter,
      Consumer<LogSettings> logging) {
    this.environment = Map.copyOf(environment);
    this.out = out;
    this.err = err;
    this.starter = starter;
    this.logging = logging;
  }

  public static void main(String[] args) {
    // Patroni's line shape from the first line on; the configuration's log: section follows.
    PatroniLogging.apply(LogSettings.DEFAULT);
    RegentMain main =
        new RegentMain(
            System.getenv(),
            System.out,
            System.err,
            (Starter)
                (c, p, a) ->
                    RegentApplication.run(c, p, a)
                        .getBean(io.pgregent.agent.loop.HaLoop.class)
                        // From another thread: exit runs the shutdown hooks, which wait for the
                        // loop thread to end.
                        .onFatal(code -> new Thread(() -> System.exit(code), "exit").start()),
            PatroniLogging::apply);
    int code = main.execute(args);
    // The demo exits when it has stopped its cluster, whatever threads its embedded ZooKeeper
    // left behind.
    if (code != 0 || (args.length > 0 && args[0].equals("demo"))) {
      System.exit(code);
    }
    // 0: either a command that finished (the JVM exits) or the agent, which keeps running.
  }

  /** Runs the command line and returns the exit code; 0 after starting the agent. */
  public int execute(String... args) {
    if (args.length == 0) {
      if (environment.keySet().stream().noneMatch(k -> k.startsWith("PATRONI_"))) {
        err.println("regent: no configuration given");
        err.println(USAGE);
        return EXIT_USAGE;
      }
      return start(null, args);
    }
    switch (args[0]) {
      case "--version", "-V" -> {
        out.println("regent " + regentVersion() + " (implements Patroni " + PATRONI_VERSION + ")");
        return 0;
      }
      case "--help", "-h" -> {
        out.println(USAGE);
        return 0;
      }
      case "--validate-config" -> {
        if (args.length != 2) {
          err.println("regent: --validate-config takes one FILE or DIR");
          err.println(USAGE);
          return EXIT_USAGE;
        }
        return validate(Path.of(args[1]));
      }
      case "demo" -> {
        if (args.length != 1) {
          err.println("regent: demo takes no arguments");
          err.println(USAGE);
          return EXIT_USAGE;
        }
        return DemoCommand.run(environment, out, err);
      }
      default -> {
        if (args[0].startsWith("-")) {
          err.println("regent: unknown option " + args[0]);
          err.println(USAGE);
          return EXIT_USAGE;
        }
        return start(Path.of(args[0]), Arrays.copyOfRange(args, 1, args.length));
      }
    }
  }

  private int validate(Path path) {
    LoadedConfig loaded = new AgentConfigLoader(environment).read(path);
    for (ConfigProblem p : loaded.problems()) {
      out.println((p.isError() ? "ERROR   " : "WARNING ") + p);
    }
    if (loaded.hasErrors()) {
      out.println(
          "Configuration is invalid: "
              + loaded.errors().size()
              + " error(s), "
              + loaded.warnings().size()
              + " warning(s)");
      return 1;
    }
    out.println(
        "Configuration is valid"
            + (loaded.warnings().isEmpty()
                ? ""
                : " (" + loaded.warnings().size() + " warning(s))"));
    return 0;
  }

  private int start(Path path, String[] rest) {
    LoadedConfig loaded = new AgentConfigLoader(environment).read(path);
    if (loaded.hasErrors()) {
      for (ConfigProblem p : loaded.errors()) {
        err.println(p);
      }
      err.println("regent: the configuration is invalid; nothing was started");
      return 1;
    }
    try {
      logging.accept(loaded.config().log());
    } catch (IllegalStateException e) {
      err.println(e.getMessage());
      err.println("regent: logging cannot be set up; nothing was started");
      return 1;
    }
    for (ConfigProblem p : loaded.warnings()) {
      log.warn("{}", p);
    }
    try {
      starter.start(loaded.config(), path, rest);
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof UniqueNameCheck.DuplicateNameException) {
          // Already logged as CRITICAL; nothing was started or changed.
          return 1;
        }
      }
      throw e;
    }
    return 0;
  }

  /** Regent's own version, from the build. */
  public static String regentVersion() {
    try (InputStream in = RegentMain.class.getResourceAsStream("/regent-version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank() && !v.startsWith("@")) {
          return v;
        }
      }
    } catch (IOException e) {
      // fall through
    }
    String v = RegentMain.class.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }
}
