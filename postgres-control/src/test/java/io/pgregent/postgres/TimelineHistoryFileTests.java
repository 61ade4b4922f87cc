package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading PostgreSQL's timeline history files as PostgreSQL writes them. */
class TimelineHistoryFileTests {

  @TempDir Path dataDir;

  @Test
  void readsEachSwitchToTheByte() throws Exception {
    Files.createDirectories(dataDir.resolve("pg_wal"));
    Files.writeString(
        dataDir.resolve("pg_wal/00000003.history"),
        "1\t0/3000060\tno recovery target specified\n"
            + "\n"
            + "# a comment\n"
            + "2\t1/A0000F8\tbefore 2026-12-04 10:00:00+00\n");

    assertThat(TimelineHistoryFile.switchesBefore(dataDir, 3))
        .containsExactly(
            new TimelineHistoryFile.Switch(1, 0x3000060L, "no recovery target specified"),
            new TimelineHistoryFile.Switch(
                2, (1L << 32) | 0xA0000F8L, "before 2026-12-04 10:00:00+00"));
  }

  @Test
  void nothingBeforeTimelineOneOrWithoutAFile() throws Exception {
    Files.createDirectories(dataDir.resolve("pg_wal"));
    assertThat(TimelineHistoryFile.switchesBefore(dataDir, 1)).isEmpty();
    assertThat(TimelineHistoryFile.switchesBefore(dataDir, 4)).isEmpty();
    assertThat(TimelineHistoryFile.newest(dataDir)).isEmpty();
  }

  @Test
  void theNewestFileIsTheHighestTimeline() throws Exception {
    Files.createDirectories(dataDir.resolve("pg_wal"));
    for (String name :
        new String[] {"00000002.history", "0000000A.history", "00000009.history", "x.history"}) {
      Files.writeString(dataDir.resolve("pg_wal").resolve(name), "1\t0/3000060\tx\n");
    }
    Files.writeString(dataDir.resolve("pg_wal/0000000A00000000000000FF"), "");

    assertThat(TimelineHistoryFile.newest(dataDir))
        .contains(dataDir.resolve("pg_wal/0000000A.history"));
  }
}
