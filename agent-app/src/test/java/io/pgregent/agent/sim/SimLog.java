package io.pgregent.agent.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.pgregent.core.sim.Simulation;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * For one run, the agents' log goes into the simulation's trace (at info and above, each line
 * prefixed with the thread, {@code member/thread}), not to the console: the trace then reads as the
 * agents' own logs interleaved with the faults.
 */
final class SimLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final Simulation sim;
  // The run's temporary directory, shown as <data> so that a seed's trace is the same every time.
  private final String base;
  private final Logger logger = (Logger) LoggerFactory.getLogger("io.pgregent");
  private final Level level;
  private final boolean additive;

  private SimLog(Simulation sim, Path base) {
    this.sim = sim;
    this.base = base.toString();
    this.level = logger.getLevel();
    this.additive = logger.isAdditive();
  }

  /**
   * Starts sending the agents' log to {@code sim}'s trace until closed; {@code base}, the run's
   * files, shows as {@code <data>}.
   */
  static SimLog into(Simulation sim, Path base) {
    SimLog log = new SimLog(sim, base);
    log.setContext(log.logger.getLoggerContext());
    log.setName("simulation");
    log.start();
    log.logger.addAppender(log);
    // -Dregent.sim.log=DEBUG shows the agents' debug lines too (a long trace).
    log.logger.setLevel(Level.toLevel(System.getProperty("regent.sim.log", "INFO"), Level.INFO));
    log.logger.setAdditive(false);
    return log;
  }

  @Override
  protected void append(ILoggingEvent e) {
    String line =
        e.getThreadName()
            + " "
            + e.getLevel()
            + " "
            + e.getFormattedMessage().replace(base, "<data>");
    sim.trace(line);
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    logger.setLevel(level);
    logger.setAdditive(additive);
    stop();
  }
}
