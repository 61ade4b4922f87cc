package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.AgentConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /reload}, {@code patronictl reload} and SIGHUP re-read the file the agent started
 * with: tags take effect without a restart; an invalid file changes nothing.
 */
class LocalConfigReloadTests {

  private static final String BASE =
      """
      scope: batman
      name: pg1
      restapi:
        listen: 127.0.0.1:8008
        connect_address: 127.0.0.1:8008
      etcd3:
        hosts: 127.0.0.1:2379
      postgresql:
        listen: 127.0.0.1:5432
        connect_address: 127.0.0.1:5432
        data_dir: /data/pg1
        authentication:
          superuser:
            username: postgres
            password: super-pass
          replication:
            username: replicator
            password: repl-pass
      tags:
        noloadbalance: false
        clonefrom: false
      """;

  @Test
  void reloadAppliesTheTagsOfTheFileAsItIsNow(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("patroni.yml");
    Files.writeString(file, BASE);
    AgentConfig config = new AgentConfigLoader(Map.of()).load(file).config();
    HaLoop loop =
        new HaLoop(
            null,
            null,
            config,
            new FailsafeHeartbeats(),
            null,
            io.pgregent.core.time.Clock.system());
    assertThat(loop.config().tags().published()).isEmpty();

    // What Patroni's acceptance suite does: add a tag to the file, then POST /reload.
    Files.writeString(file, BASE + "  new_tag: new_value\n");
    assertThat(new LocalConfigReload(file, Map.of()).reload(loop)).isTrue();

    assertThat(loop.config().tags().published()).isEqualTo(Map.of("new_tag", "new_value"));
    assertThat(loop.config().name()).isEqualTo("pg1");
  }

  @Test
  void reloadWarnsInPatronisWordingWhenNofailoverContradictsItsPriority(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("patroni.yml");
    Files.writeString(file, BASE + "  failover_priority: '1'\n");
    AgentConfig config = new AgentConfigLoader(Map.of()).load(file).config();
    HaLoop loop =
        new HaLoop(
            null,
            null,
            config,
            new FailsafeHeartbeats(),
            null,
            io.pgregent.core.time.Clock.system());
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(LocalConfigReload.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      // What the acceptance suite does: set nofailover beside failover_priority, POST /reload.
      Files.writeString(file, BASE + "  failover_priority: '1'\n  nofailover: true\n");
      assertThat(new LocalConfigReload(file, Map.of()).reload(loop)).isTrue();
    } finally {
      logger.detachAppender(logged);
    }

    assertThat(logged.list)
        .filteredOn(e -> e.getLevel() == Level.WARN)
        .extracting(ILoggingEvent::getFormattedMessage)
        .anyMatch(
            m ->
                m.contains(
                    "Conflicting configuration between nofailover: True and failover_priority: 1."
                        + " Defaulting to nofailover: True"));
    assertThat(loop.config().tags().nofailover()).isTrue();
    assertThat(loop.config().tags().published())
        .containsEntry("nofailover", true)
        .containsEntry("failover_priority", "1");
  }

  @Test
  void anInvalidFileChangesNothing(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("patroni.yml");
    Files.writeString(file, BASE + "  new_tag: new_value\n");
    AgentConfig config = new AgentConfigLoader(Map.of()).load(file).config();
    HaLoop loop =
        new HaLoop(
            null,
            null,
            config,
            new FailsafeHeartbeats(),
            null,
            io.pgregent.core.time.Clock.system());

    Files.writeString(file, "scope: [unclosed\n");

    assertThat(new LocalConfigReload(file, Map.of()).reload(loop)).isFalse();
    assertThat(loop.config().tags().published()).isEqualTo(Map.of("new_tag", "new_value"));
  }
}
