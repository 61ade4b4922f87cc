package io.pgregent.agent.loop;

import io.pgregent.postgres.PostgresException;
import io.pgregent.postgres.PostgresPort;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * SIGHUP re-reads the local configuration, as {@code POST /reload} does, and never stops the agent
 * (the JVM's default for SIGHUP is to exit). Only for an agent started from a configuration file.
 */
@Component
public class SighupReload implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(SighupReload.class);

  private final LocalConfigReload reloader;
  private final HaLoop loop;
  private final PostgresPort postgres;
  private volatile boolean running;

  public SighupReload(Optional<LocalConfigReload> reloader, HaLoop loop, PostgresPort postgres) {
    this.reloader = reloader.orElse(null);
    this.loop = loop;
    this.postgres = postgres;
  }

  @Override
  public void start() {
    running = true;
    if (reloader == null || !reloader.fromFile()) {
      return;
    }
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> reload());
    } catch (IllegalArgumentException e) {
      log.warn("SIGHUP cannot be handled here ({}): reload with POST /reload", e.getMessage());
    }
  }

  private void reload() {
    // On a thread of its own: the signal thread must not wait on the store or PostgreSQL.
    Thread t =
        new Thread(
            () -> {
              if (reloader.reload(loop)) {
                try {
                  postgres.reload();
                } catch (PostgresException e) {
                  log.warn("PostgreSQL was not signalled to reload: {}", e.getMessage());
                }
              }
            },
            "sighup-reload");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void stop() {
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
