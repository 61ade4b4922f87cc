package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigFixtures;
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
      ConfigFixtures.MINIMAL + "tags:\n  noloadbalance: false\n  clonefrom: false\n";

  @TempDir Path dir;

  private Path file() {
    return dir.resolve("patroni.yml");
  }

  /** A loop (never started) on the file written with {@code text}. */
  private HaLoop loopOn(String text) throws Exception {
    Files.writeString(file(), text);
    return TestMembers.offlineLoop(new AgentConfigLoader(Map.of()).load(file()).config());
  }

  /** Writes {@code text} to the loop's file and reloads it, as POST /reload does. */
  private boolean reloadWith(HaLoop loop, String text) throws Exception {
    Files.writeString(file(), text);
    return new LocalConfigReload(file(), Map.of()).reload(loop);
  }

  @Test
  void reloadAppliesTheTagsOfTheFileAsItIsNow() throws Exception {
    HaLoop loop = loopOn(BASE);
    assertThat(loop.config().tags().published()).isEmpty();

    // What Patroni's acceptance suite does: add a tag to the file, then POST /reload.
    assertThat(reloadWith(loop, BASE + "  new_tag: new_value\n")).isTrue();

    assertThat(loop.config().tags().published()).isEqualTo(Map.of("new_tag", "new_value"));
    assertThat(loop.config().name()).isEqualTo("pg1");
  }

  @Test
  void reloadWarnsInPatronisWordingWhenNofailoverContradictsItsPriority() throws Exception {
    HaLoop loop = loopOn(BASE + "  failover_priority: '1'\n");
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(LocalConfigReload.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      // What the acceptance suite does: set nofailover beside failover_priority, POST /reload.
      assertThat(reloadWith(loop, BASE + "  failover_priority: '1'\n  nofailover: true\n"))
          .isTrue();
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
  void anInvalidFileChangesNothing() throws Exception {
    HaLoop loop = loopOn(BASE + "  new_tag: new_value\n");

    assertThat(reloadWith(loop, "scope: [unclosed\n")).isFalse();
    assertThat(loop.config().tags().published()).isEqualTo(Map.of("new_tag", "new_value"));
  }
}
