package io.pgregent.postgres;

import io.pgregent.postgres.config.CallbackAction;
import io.pgregent.postgres.config.Callbacks;
import io.pgregent.postgres.os.CommandRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Patroni's callbacks as {@code <cmd> <action> <role> <scope>} without waiting for them. A new
 * callback kills one still running from before (its process tree); {@code on_reload} has its own
 * slot, as in Patroni.
 */
public final class CallbackExecutor {

  private static final Logger log = LoggerFactory.getLogger(CallbackExecutor.class);

  private final CommandRunner runner;
  private final Callbacks callbacks;
  private final String scope;
  private Process running;
  private Process runningReload;

  public CallbackExecutor(CommandRunner runner, Callbacks callbacks, String scope) {
    this.runner = runner;
    this.callbacks = callbacks;
    this.scope = scope;
  }

  /** Starts the callback of {@code action}, if one is configured. */
  public void call(CallbackAction action, PostgresRole role) {
    call(action, role.patroniName());
  }

  /** As {@link #call(CallbackAction, PostgresRole)}, with Patroni's role name ({@code demoted}). */
  public synchronized void call(CallbackAction action, String role) {
    String command = callbacks.forAction(action);
    if (command == null || command.isBlank()) {
      return;
    }
    Process previous = action == CallbackAction.ON_RELOAD ? runningReload : running;
    if (previous != null && previous.isAlive()) {
      log.warn("killing the still running previous callback (pid {})", previous.pid());
      CommandRunner.kill(previous);
    }
    List<String> cmd = new ArrayList<>(CommandLine.split(command));
    cmd.add(action.argument());
    cmd.add(role);
    cmd.add(scope);
    try {
      // From the agent's working directory, as Patroni runs them: relative paths in the command
      // and in what it writes resolve there.
      Process p = runner.startDetached(cmd, Map.of(), java.nio.file.Path.of("").toAbsolutePath());
      log.info("started callback {} (pid {})", cmd, p.pid());
      if (action == CallbackAction.ON_RELOAD) {
        runningReload = p;
      } else {
        running = p;
      }
    } catch (RuntimeException ex) {
      log.warn("cannot run callback {}: {}", cmd, ex.getMessage());
    }
  }

  /** Kills callbacks still running (on shutdown of the agent). */
  public synchronized void close() {
    for (Process p : new Process[] {running, runningReload}) {
      if (p != null && p.isAlive()) {
        CommandRunner.kill(p);
      }
    }
  }
}
