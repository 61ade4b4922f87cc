package io.pgregent.agent.loop;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.LogSettings;
import io.pgregent.agent.config.RestApiSettings;
import io.pgregent.agent.logging.PatroniLogging;
import io.pgregent.postgres.PostgresPort;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a reload of the local configuration changes besides the tags: the {@code postgresql:}
 * section (parameters, pg_hba, pg_ident, authentication, callbacks, ...), the REST API's
 * credentials and connect address, and the log levels. Applied on the loop's thread, between two
 * decisions, so that rewriting PostgreSQL's files never races an action on it. Where the REST API
 * listens, or whether it serves TLS, takes effect only when Regent restarts: its listener is not
 * rebuilt.
 */
final class LocalSettingsReload {

  private static final Logger log = LoggerFactory.getLogger(LocalSettingsReload.class);

  private final PostgresPort postgres;
  private final AtomicReference<AgentConfig> pending = new AtomicReference<>();

  /**
   * @param postgres the local server, or null when the loop has none
   */
  LocalSettingsReload(PostgresPort postgres) {
    this.postgres = postgres;
  }

  /** Records a reloaded configuration; the newest one wins. */
  void submit(AgentConfig fresh) {
    pending.set(fresh);
  }

  /**
   * The configuration in force once a pending reload is applied ({@code current} when none is):
   * identity, store, lease and tags stay as in {@code current}.
   */
  AgentConfig applyPending(AgentConfig current) {
    AgentConfig fresh = pending.getAndSet(null);
    if (fresh == null) {
      return current;
    }
    var postgresql = fresh.postgresql();
    if (postgres != null) {
      try {
        postgres.reloadSettings(fresh.postgresql());
      } catch (RuntimeException e) {
        log.warn("could not apply the reloaded postgresql section: {}", e.getMessage());
      }
      postgresql = postgres.settings();
    }
    applyLog(current.log(), fresh.log());
    return new AgentConfig(
        current.scope(),
        current.namespace(),
        current.name(),
        restApi(current.restapi(), fresh.restapi()),
        postgresql,
        current.bootstrapDcs(),
        current.tags(),
        fresh.properties(),
        current.lease(),
        fresh.log());
  }

  private static RestApiSettings restApi(RestApiSettings current, RestApiSettings fresh) {
    if (current.listenPort() != fresh.listenPort()
        || !current.listenHost().equals(fresh.listenHost())
        || current.tls() != fresh.tls()) {
      log.warn(
          "restapi.listen or restapi.certfile changed: the REST API keeps listening on {}:{} until"
              + " Regent restarts",
          current.listenHost(),
          current.listenPort());
    }
    return new RestApiSettings(
        current.listenHost(),
        current.listenPort(),
        fresh.connectAddress(),
        fresh.username(),
        fresh.password(),
        current.tls());
  }

  private static void applyLog(LogSettings current, LogSettings fresh) {
    if (current.equals(fresh)) {
      return;
    }
    PatroniLogging.applyLevels(current, fresh);
    if (!fresh.level().equals(current.level())) {
      log.info("log level changed to {}", fresh.level());
    }
    LogSettings levelsOnly =
        new LogSettings(
            current.json(),
            fresh.level(),
            current.tracebackAtDebugOnly(),
            current.pattern(),
            current.jsonFields(),
            current.dateFormat(),
            current.staticFields(),
            current.dir(),
            current.mode(),
            current.fileNum(),
            current.fileSize(),
            fresh.loggers());
    if (!levelsOnly.equals(fresh)) {
      log.warn("the log format or destination changed: it takes effect when Regent restarts");
    }
  }
}
